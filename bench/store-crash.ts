/**
 * Stress script for FileStore crash safety: children save generations (key, chain, trust
 * anchors, pending key) in a loop and are SIGKILLed at random moments, 1,000 times by
 * default (`--count N`, `--seed S`). After every kill the state is loaded with a fresh
 * FileStore: it must hold a matching key and certificate of one single generation, never
 * older than the last save a child reported. Any violation throws (and fails the run).
 *
 *   npx tsx bench/store-crash.ts --count 1000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runStoreCrashLoop } from '../packages/agent/test/fixtures/store-crash-driver.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'store-crash';

export async function run(options: { count?: number; seed?: number } = {}): Promise<BenchRow[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'mtlskit-store-crash-'));
  try {
    const r = await runStoreCrashLoop({
      kills: options.count ?? 1000,
      workDir,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    const note = `seed ${r.seed}`;
    return [
      { bench: BENCH, metric: 'SIGKILLs survived (checked after each)', value: r.kills, unit: 'count', note },
      { bench: BENCH, metric: 'kills during start-up recovery', value: r.killsDuringLoad, unit: 'count' },
      { bench: BENCH, metric: 'saves reported by children', value: r.savesReported, unit: 'count' },
      {
        bench: BENCH,
        metric: 'unreported committed saves rolled forward',
        value: r.rolledForward,
        unit: 'count',
      },
      { bench: BENCH, metric: 'torn temp dirs removed at load', value: r.tornTempRemoved, unit: 'count' },
      { bench: BENCH, metric: 'pending key found whole', value: r.pendingFound, unit: 'count' },
      { bench: BENCH, metric: 'violations', value: 0, unit: 'count', note: 'any violation throws' },
      { bench: BENCH, metric: 'final generation', value: r.finalGeneration, unit: 'count' },
      { bench: BENCH, metric: 'time per kill', value: r.durationMs / r.kills, unit: 'ms' },
    ];
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const { values } = parseArgs({ options: { count: { type: 'string' }, seed: { type: 'string' } } });
  const count = values.count === undefined ? undefined : Number(values.count);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (count !== undefined && !(Number.isSafeInteger(count) && count > 0))
    throw new Error('--count must be a positive integer');
  console.table(
    await run({ ...(count === undefined ? {} : { count }), ...(seed === undefined ? {} : { seed }) }),
  );
}
