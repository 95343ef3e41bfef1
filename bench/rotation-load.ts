/**
 * Rotation under load for 60 s (the CI test runs the same harness for about 10 s): server
 * and client credentials rotated every 200 ms while 16 concurrent loops send requests
 * (8 keep-alive, 8 with one new connection per request) and one long streaming response
 * runs across all swaps. Everything is real TLS on 127.0.0.1 in this process.
 *
 * Run: npx tsx bench/rotation-load.ts   (BENCH_ROTATION_LOAD_MS overrides the 60 s)
 */
import { pathToFileURL } from 'node:url';
import { runRotationLoad } from '../packages/node-adapter/test/helpers/rotation-harness.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'rotation-load';
const DURATION_MS = Number(process.env.BENCH_ROTATION_LOAD_MS ?? 60_000);

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

export async function run(): Promise<BenchRow[]> {
  const r = await runRotationLoad({ durationMs: DURATION_MS, rotateEveryMs: 200, loops: 16 });
  const row = (metric: string, value: number, unit: string, note?: string): BenchRow =>
    note === undefined ? { bench: BENCH, metric, value, unit } : { bench: BENCH, metric, value, unit, note };
  return [
    row('duration', DURATION_MS / 1000, 's'),
    row('requests', r.requests, 'count'),
    row('requests per second', r.requests / (DURATION_MS / 1000), 'req/s'),
    row(
      'failed requests',
      r.failed,
      'count',
      r.failures.length > 0 ? r.failures.slice(0, 3).join(' | ') : 'target 0',
    ),
    row('server tlsClientErrors', r.tlsClientErrors, 'count', 'target 0'),
    row('client swaps', r.clientSwaps, 'count'),
    row('server swaps', r.serverSwaps, 'count'),
    row('TLS connections opened', r.connections, 'count'),
    row(
      'accepted sockets closed with an error',
      r.uncleanSockets,
      'count',
      `of ${r.acceptedSockets}; target 0`,
    ),
    row('sockets still open after shutdown', r.openSocketsAtEnd, 'count', 'target 0'),
    row(
      'connections where the server saw another identity than the client opened with',
      r.identityMismatches,
      'count',
      'target 0',
    ),
    row(
      'stream bytes exact',
      r.streamExact ? 1 : 0,
      'bool',
      `${r.streamReceivedBytes} of ${r.streamExpectedBytes} bytes`,
    ),
    row('p99 request latency', p99(r.latenciesMs), 'ms'),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.table(await run());
}
