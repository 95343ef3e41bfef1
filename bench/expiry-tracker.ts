/**
 * ExpiryTracker at scale on a fake clock: 100,000 certificates. Measures the memory the
 * tracker holds per certificate, the time to track, replace and fire them all, and shows
 * that one timer serves the whole set.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ExpiryTracker } from '../packages/core/src/renewal/expiry-tracker.js';
import { FakeClock } from '../packages/core/src/time/fake-clock.js';
import { seededRandom } from './lib/seeded-random.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'expiry-tracker';
const COUNT = 100_000;
const DAY = 86_400_000;

type Cert = { notBefore: number; notAfter: number };

function collectGarbage(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapUsed(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function run(): Promise<BenchRow[]> {
  const gc = collectGarbage();
  const start = Date.UTC(2025, 0, 1);
  const clock = new FakeClock({ now: start });
  const random = seededRandom(42);
  // Certificates and ids exist before the tracker does: they belong to the caller, so
  // they stay out of the per-certificate figure.
  const ids = Array.from({ length: COUNT }, (_, i) => `svc-${i}`);
  const lifetime = () => DAY * (1 + Math.floor(random() * 90));
  const first: Cert[] = ids.map(() => {
    const notBefore = start - Math.floor(random() * DAY);
    return { notBefore, notAfter: notBefore + lifetime() };
  });
  const second: Cert[] = first.map((c) => ({ notBefore: c.notBefore + DAY, notAfter: c.notAfter + DAY }));

  let maxTimers = 0;
  const sample = () => {
    maxTimers = Math.max(maxTimers, clock.pendingTimers);
  };
  const before = heapUsed(gc);
  const tracker = new ExpiryTracker<Cert>({ clock, renewal: { random } });
  let fired = 0;
  const count = () => {
    fired++;
  };
  tracker.on('renew', count).on('expiring', count).on('expired', count);

  let t = performance.now();
  for (let i = 0; i < COUNT; i++) tracker.track(ids[i]!, first[i]!);
  const trackMs = performance.now() - t;
  sample();
  const perCert = (heapUsed(gc) - before) / COUNT;

  t = performance.now();
  for (let i = 0; i < COUNT; i++) tracker.replace(ids[i]!, second[i]!);
  const replaceMs = performance.now() - t;
  sample();

  t = performance.now();
  const timerCallbacks = clock.advance(100 * DAY);
  const fireMs = performance.now() - t;
  sample();
  maxTimers = Math.max(maxTimers, clock.maxPendingTimers);
  tracker.close();

  const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
  return [
    { bench: BENCH, metric: 'certificates tracked', value: COUNT, unit: 'count', note: 'lifetimes 1–90 d' },
    { bench: BENCH, metric: 'memory per tracked certificate', value: Math.round(perCert), unit: 'bytes' },
    {
      bench: BENCH,
      metric: 'track all',
      value: round(trackMs),
      unit: 'ms',
      note: `${round((trackMs * 1000) / COUNT, 2)} µs each`,
    },
    {
      bench: BENCH,
      metric: 'replace all',
      value: round(replaceMs),
      unit: 'ms',
      note: `${round((replaceMs * 1000) / COUNT, 2)} µs each`,
    },
    {
      bench: BENCH,
      metric: 'fire all events (100 d)',
      value: round(fireMs),
      unit: 'ms',
      note: `${fired} events, ${round((fireMs * 1000) / fired, 2)} µs each`,
    },
    {
      bench: BENCH,
      metric: 'timer callbacks over 100 d',
      value: timerCallbacks,
      unit: 'count',
      note: 're-check every minute',
    },
    {
      bench: BENCH,
      metric: 'max active timers',
      value: maxTimers,
      unit: 'count',
      note: 'one for the whole set',
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await run());
}
