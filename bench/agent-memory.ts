/**
 * Memory of a long-running agent: 900 renewals, one every 200 ms, each a real mTLS renew
 * call to a node:https backend running in a child process (so only the agent's heap is
 * measured). After 300 warm-up renewals the heap is measured after a full GC, and again
 * at the end: nothing may be kept per generation (keys, dispatchers, timers, listeners,
 * abort signals). Target: growth ≤ 1 MiB over the last 600 renewals.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createAgent, MemoryStore } from '../packages/agent/src/index.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'agent-memory';
const TOKEN = 'tokid.bench-install-token-000000001';
const RENEWALS = 900;
const WARMUP = 300;
const INTERVAL = 200;
const BACKEND = fileURLToPath(new URL('./lib/protocol-backend-process.ts', import.meta.url));

function gc(): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) collect();
}

export async function run(): Promise<BenchRow[]> {
  const backend = spawn(process.execPath, ['--import', 'tsx', BACKEND], {
    env: { ...process.env, BACKEND_TOKENS: JSON.stringify({ [TOKEN]: 'bench' }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const { url, caPem } = await new Promise<{ url: string; caPem: string }>((resolve, reject) => {
    let text = '';
    backend.stdout!.setEncoding('utf8').on('data', (c: string) => {
      text += c;
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!) as { url: string; caPem: string });
    });
    backend.once('exit', (code) => reject(new Error(`backend exited (${code})`)));
  });
  const agent = createAgent({
    backendUrl: url,
    trustAnchors: caPem,
    installToken: TOKEN,
    serviceName: 'bench',
    store: new MemoryStore(),
    heartbeat: { enabled: false },
  });
  let before = 0;
  let after = 0;
  let seconds = 0;
  try {
    await agent.start();
    const started = performance.now();
    for (let renewals = 1; renewals <= RENEWALS; renewals++) {
      const t0 = Date.now();
      await agent.renewNow();
      const wait = INTERVAL - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (renewals === WARMUP) {
        gc();
        before = process.memoryUsage().heapUsed;
      }
    }
    seconds = (performance.now() - started) / 1000;
    gc();
    after = process.memoryUsage().heapUsed;
  } finally {
    await agent.close();
    backend.stdin!.end();
  }
  const growthKiB = (after - before) / 1024;
  return [
    {
      bench: BENCH,
      metric: `heap growth, renewals ${WARMUP + 1}–${RENEWALS}`,
      value: growthKiB,
      unit: 'KiB',
      note: `target ≤ 1024 KiB; ${(((after - before) / (RENEWALS - WARMUP)) | 0).toString()} B per renewal`,
    },
    {
      bench: BENCH,
      metric: 'renewals per second (real mTLS, 200 ms cadence)',
      value: RENEWALS / seconds,
      unit: '1/s',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(row);
}
