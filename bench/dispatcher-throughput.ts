/**
 * Requests per second through createMtlsDispatcher against a plain undici Agent given the
 * same static mTLS options (`connect: { ca, cert, key }`), in the same run, with the server
 * in a child process: keep-alive over 16 connections and one new TLS connection per
 * request, each with a one-CA trust store and a big bundle (Node's root store + the CA).
 * Then: the dispatcher with client and server credentials rotated every second, against
 * the same dispatcher without rotation (errors and p99 latency).
 *
 * Run: npx tsx bench/dispatcher-throughput.ts   (about 60 s)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { rootCertificates } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, type Dispatcher, request } from 'undici';
import { createCertificateAuthority } from '../packages/core/src/ca/create-certificate-authority.js';
import { MutableCredentialSource } from '../packages/core/src/source/mutable-credential-source.js';
import { createMtlsDispatcher } from '../packages/node-adapter/src/dispatcher/create-mtls-dispatcher.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'dispatcher-throughput';
const LOOPS = 16;
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 1000);
// Slices alternate between the two clients; the ratio is the median of the per-round
// ratios, which machine noise (another process, GC) moves far less than a ratio of sums.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROTATION_MS = Number(process.env.BENCH_ROTATION_MS ?? 8000);

interface Load {
  requests: number;
  errors: number;
  latencies: number[];
  /** performance.now() at which each request of `latencies` started. */
  starts: number[];
}

async function drive(dispatcher: Dispatcher, origin: string, ms: number, fresh: boolean): Promise<Load> {
  const out: Load = { requests: 0, errors: 0, latencies: [], starts: [] };
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: LOOPS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await request(`${origin}/`, {
            dispatcher,
            ...(fresh ? { headers: { connection: 'close' } } : {}),
          });
          await res.body.text();
          out.latencies.push(performance.now() - t);
          out.starts.push(t);
          out.requests += 1;
        } catch {
          out.errors += 1;
        }
      }
    }),
  );
  return out;
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

function startChild(): {
  child: ChildProcess;
  send(m: object): void;
  once(type: string): Promise<Record<string, unknown>>;
} {
  const child = fork(fileURLToPath(new URL('./lib/child-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    child,
    send: (m) => child.send(m),
    once: (type) =>
      new Promise((resolve) => {
        const on = (m: Record<string, unknown>) => {
          if (m.type === type) {
            child.off('message', on);
            resolve(m);
          }
        };
        child.on('message', on);
      }),
  };
}

async function measureRotation(
  origin: string,
  handoverMs: number,
  issue: (cn: string, profile: 'client' | 'both') => Promise<{ cert: string; key: string }>,
  caPem: string,
  server: ReturnType<typeof startChild>,
  tlsClientErrors: () => number,
): Promise<BenchRow[]> {
  const label = handoverMs === 0 ? 'rotation every 1 s' : `rotation every 1 s, handoverMs ${handoverMs}`;
  const source = new MutableCredentialSource();
  const first = await issue('rot-client-0', 'client');
  await source.set({ certificateChainPem: first.cert, privateKeyPem: first.key, trustAnchorsPem: caPem });
  const dispatcher = createMtlsDispatcher(source, { agentOptions: { connections: LOOPS }, handoverMs });
  // Issued up front: the bench measures swapping, not certificate issuance in this process.
  const pending = await Promise.all(
    Array.from({ length: Math.ceil(ROTATION_MS / 1000) + 2 }, async (_, i) => ({
      c: await issue(`rot-client-${i}`, 'client'),
      sv: await issue(`rot-server-${i}`, 'both'),
    })),
  );
  await drive(dispatcher, origin, 1000, false);
  // Steady and rotating phases alternate (2 s each) so that drifting machine load hits both
  // alike; a request belongs to the phase in which it started.
  const phaseMs = 2000;
  const phases = Math.max(2, Math.round(ROTATION_MS / phaseMs) * 2);
  const t0 = performance.now();
  const errorsBefore = tlsClientErrors();
  let swaps = 0;
  const rotation = (async () => {
    for (let phase = 1; phase < phases; phase += 2) {
      for (const offset of [0, 1000]) {
        const wait = t0 + phase * phaseMs + offset - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const next = pending[swaps];
        if (next === undefined) return;
        const swapped = server.once('swapped');
        server.send({ type: 'credentials', ...next.sv, ca: caPem });
        await swapped;
        await source.set({
          certificateChainPem: next.c.cert,
          privateKeyPem: next.c.key,
          trustAnchorsPem: caPem,
        });
        swaps += 1;
      }
    }
  })();
  const all = await drive(dispatcher, origin, phases * phaseMs, false);
  await rotation;
  await dispatcher.close();
  const steady: Load = { requests: 0, errors: 0, latencies: [], starts: [] };
  const rotated: Load = { requests: 0, errors: 0, latencies: [], starts: [] };
  all.latencies.forEach((latency, i) => {
    const phase = Math.floor(((all.starts[i] ?? 0) - t0) / phaseMs);
    const bucket = phase % 2 === 1 ? rotated : steady;
    bucket.latencies.push(latency);
    bucket.requests += 1;
  });
  rotated.errors = all.errors;
  return [
    { bench: BENCH, metric: `${label}: swaps`, value: swaps, unit: 'count' },
    {
      bench: BENCH,
      metric: `${label}: failed requests`,
      value: rotated.errors,
      unit: 'count',
      note: 'target 0',
    },
    {
      bench: BENCH,
      metric: `${label}: server tlsClientErrors`,
      value: tlsClientErrors() - errorsBefore,
      unit: 'count',
      note: 'target 0',
    },
    {
      bench: BENCH,
      metric: `${label}: steady-state p99 latency`,
      value: p99(steady.latencies),
      unit: 'ms',
      note: `${steady.requests} requests`,
    },
    {
      bench: BENCH,
      metric: `${label}: p99 latency`,
      value: p99(rotated.latencies),
      unit: 'ms',
      note: `${rotated.requests} requests`,
    },
    {
      bench: BENCH,
      metric: `${label}: p99 / steady p99`,
      value: p99(rotated.latencies) / p99(steady.latencies),
      unit: 'ratio',
      note: 'target <= 1.5',
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ca = await createCertificateAuthority({ subject: { commonName: 'bench CA' } });
  const issue = async (cn: string, profile: 'client' | 'both') => {
    const c = await ca.issue({ subject: { commonName: cn }, profile, ipAddresses: ['127.0.0.1'] });
    return { cert: c.chainPem, key: c.privateKeyPem! };
  };
  const server = startChild();
  let tlsClientErrors = 0;
  server.child.on('message', (m: { type?: string }) => {
    if (m.type === 'tlsClientError') tlsClientErrors += 1;
  });
  try {
    const s = await issue('bench-server', 'both');
    const listening = server.once('listening');
    server.send({ type: 'credentials', ...s, ca: ca.certificatePem });
    const origin = `https://127.0.0.1:${(await listening).port as number}`;
    const bigBundle = `${rootCertificates.join('\n')}\n${ca.certificatePem}`;

    const stores = [
      ['one CA', ca.certificatePem],
      [`${rootCertificates.length + 1} CAs`, bigBundle],
    ] as const;
    for (const [store, anchors] of process.env.BENCH_ONLY === 'rotation' ? [] : stores) {
      const client = await issue('bench-client', 'client');
      const source = new MutableCredentialSource();
      await source.set({
        certificateChainPem: client.cert,
        privateKeyPem: client.key,
        trustAnchorsPem: anchors,
      });
      for (const fresh of [false, true]) {
        const mode = fresh ? 'new connection per request' : 'keep-alive, 16 connections';
        const ours = createMtlsDispatcher(source, { agentOptions: { connections: LOOPS } });
        const plain = new Agent({
          connections: LOOPS,
          connect: { ca: anchors, cert: client.cert, key: client.key },
        });
        const total = { ours: { requests: 0, errors: 0 }, plain: { requests: 0, errors: 0 } };
        const roundRatios: number[] = [];
        // warm-up, then interleaved slices so machine noise hits both alike
        await drive(ours, origin, 1000, fresh);
        await drive(plain, origin, 1000, fresh);
        for (let r = 0; r < ROUNDS; r++) {
          const order = [
            ['ours', ours],
            ['plain', plain],
          ] as const;
          const round = { ours: 0, plain: 0 };
          for (const [name, d] of r % 2 === 0 ? order : [...order].reverse()) {
            const l = await drive(d, origin, SLICE_MS, fresh);
            total[name].requests += l.requests;
            total[name].errors += l.errors;
            round[name] = l.requests;
          }
          if (round.plain > 0) roundRatios.push(round.ours / round.plain);
        }
        await ours.close();
        await plain.close();
        const seconds = (SLICE_MS * ROUNDS) / 1000;
        const oursRps = total.ours.requests / seconds;
        const plainRps = total.plain.requests / seconds;
        rows.push(
          {
            bench: BENCH,
            metric: `${mode}, ${store}: createMtlsDispatcher`,
            value: oursRps,
            unit: 'req/s',
            note: `${total.ours.errors} errors`,
          },
          {
            bench: BENCH,
            metric: `${mode}, ${store}: plain undici Agent`,
            value: plainRps,
            unit: 'req/s',
            note: `${total.plain.errors} errors`,
          },
          {
            bench: BENCH,
            metric: `${mode}, ${store}: ratio dispatcher / plain`,
            value: median(roundRatios),
            unit: 'ratio',
            note: `median of ${roundRatios.length} rounds; target >= 0.95`,
          },
        );
      }
    }

    // Rotation every second (client and server) against the same dispatcher without rotation.
    for (const handoverMs of [0, 500]) {
      rows.push(
        ...(await measureRotation(
          origin,
          handoverMs,
          issue,
          ca.certificatePem,
          server,
          () => tlsClientErrors,
        )),
      );
    }
  } finally {
    server.send({ type: 'stop' });
    await new Promise((r) => {
      if (server.child.exitCode !== null) r(undefined);
      else server.child.once('exit', r);
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.table(await run());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
