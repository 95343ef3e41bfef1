/**
 * Fleet simulation on a fake clock, no sockets: 10,000 certificates issued within the
 * same second with 24 h lifetimes. Shows that the default jitter spreads renewals so the
 * busiest minute holds at most 2× the average minute of the renewal window, and that no
 * certificate renews later than the 2/3 point.
 */
import { pathToFileURL } from 'node:url';
import { computeRenewalTime } from '../packages/core/src/renewal/compute-renewal-time.js';
import { ExpiryTracker } from '../packages/core/src/renewal/expiry-tracker.js';
import { FakeClock } from '../packages/core/src/time/fake-clock.js';
import { seededRandom } from './lib/seeded-random.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'fleet-renewal';
const FLEET = 10_000;
const LIFETIME = 24 * 3_600_000;
const MINUTE = 60_000;
const FRACTION = 2 / 3;
const JITTER = 0.1;

export async function run(): Promise<BenchRow[]> {
  const start = Date.UTC(2025, 0, 1);
  const clock = new FakeClock({ now: start });
  const random = seededRandom(20250101);
  const tracker = new ExpiryTracker<{ notBefore: number; notAfter: number }>({
    clock,
    thresholdsMs: [],
    renewal: { fraction: FRACTION, jitter: JITTER, random },
  });
  const renewals: { at: number; twoThirds: number }[] = [];
  tracker.on('renew', ({ certificate }) => {
    renewals.push({ at: clock.now(), twoThirds: certificate.notBefore + FRACTION * LIFETIME });
  });
  for (let i = 0; i < FLEET; i++) {
    // Issued in the same second, in random order within it.
    const notBefore = start + Math.floor(random() * 1000);
    tracker.track(`agent-${i}`, { notBefore, notAfter: notBefore + LIFETIME });
  }
  clock.advance(LIFETIME);
  tracker.close();

  // The window in which the policy may place a renewal: from (2/3 − 10%) of the lifetime
  // after the first issuance to 2/3 after the last one (issuance spans one second).
  const windowStart = start + (FRACTION - JITTER) * LIFETIME;
  const windowLength = JITTER * LIFETIME + 1000;
  const perMinute = new Array<number>(Math.ceil(windowLength / MINUTE)).fill(0);
  let latestVsTwoThirds = Number.NEGATIVE_INFINITY;
  for (const r of renewals) {
    const minute = Math.floor((r.at - windowStart) / MINUTE);
    if (minute < 0 || minute >= perMinute.length) throw new Error(`renewal outside the window at ${r.at}`);
    perMinute[minute]! += 1;
    latestVsTwoThirds = Math.max(latestVsTwoThirds, r.at - r.twoThirds);
  }
  const average = renewals.length / (windowLength / MINUTE);
  const busiest = Math.max(...perMinute);
  const ratio = busiest / average;
  if (renewals.length !== FLEET) throw new Error(`expected ${FLEET} renewals, saw ${renewals.length}`);
  if (ratio > 2) throw new Error(`busiest minute holds ${ratio.toFixed(2)}× the average (limit 2×)`);
  if (latestVsTwoThirds > 0) throw new Error(`a renewal came ${latestVsTwoThirds} ms after the 2/3 point`);

  // The same fleet without jitter, for contrast: everyone renews within the same minute or two.
  const noJitter = new Map<number, number>();
  for (let i = 0; i < FLEET; i++) {
    const notBefore = start + Math.floor(random() * 1000);
    const at = computeRenewalTime({ notBefore, notAfter: notBefore + LIFETIME }, { jitter: 0, now: start });
    const minute = Math.floor(at.getTime() / MINUTE);
    noJitter.set(minute, (noJitter.get(minute) ?? 0) + 1);
  }

  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  return [
    {
      bench: BENCH,
      metric: 'certificates renewed',
      value: renewals.length,
      unit: 'count',
      note: '24 h lifetime, issued in 1 s',
    },
    {
      bench: BENCH,
      metric: 'renewal window',
      value: round(windowLength / MINUTE),
      unit: 'min',
      note: '(2/3 − 10%)…2/3 of 24 h',
    },
    { bench: BENCH, metric: 'average renewals per minute', value: round(average), unit: 'count' },
    { bench: BENCH, metric: 'busiest minute', value: busiest, unit: 'count' },
    { bench: BENCH, metric: 'busiest / average minute', value: round(ratio), unit: 'ratio', note: 'limit 2' },
    {
      bench: BENCH,
      metric: 'latest renewal vs its 2/3 point',
      value: round(latestVsTwoThirds / 1000, 3),
      unit: 's',
      note: '<= 0: never later',
    },
    {
      bench: BENCH,
      metric: 'busiest minute without jitter',
      value: Math.max(...noJitter.values()),
      unit: 'count',
      note: 'jitter: 0, for contrast',
    },
    { bench: BENCH, metric: 'timers used', value: clock.maxPendingTimers, unit: 'count' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await run());
}
