// Differential fuzz of parseCertificate / parseCsr against OpenSSL's decoder: seeded,
// structure-aware mutants of RSA, ECDSA and Ed25519 certificates and CSRs (see
// packages/core/test/helpers/differential-fuzz.ts). Every mutant mtlskit accepts must be
// accepted by OpenSSL too. `--count N` (default 30,000), `--seed S`.
import { pathToFileURL } from 'node:url';
import { makeSeeds, runDifferentialFuzz } from '../packages/core/test/helpers/differential-fuzz.js';
import { seededRandom } from './lib/seeded-random.js';
import type { BenchRow } from './lib/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export async function run(): Promise<BenchRow[]> {
  const count = arg('count', 30_000);
  const seed = arg('seed', 11);
  const seeds = await makeSeeds();
  const t0 = performance.now();
  const r = await runDifferentialFuzz(seeds, count, seededRandom(seed));
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  const bench = 'x509-differential-fuzz';
  const note = `seed ${seed}, ${seeds.length} seeds, ${s} s`;
  for (const e of r.examples.slice(0, 5))
    process.stderr.write(`accepted by mtlskit only (${e.seed}): ${e.hex}\n`);
  return [
    { bench, metric: 'mutants', value: r.mutants, unit: 'count', note },
    { bench, metric: 'accepted by both', value: r.bothAccept, unit: 'count' },
    { bench, metric: 'refused by both', value: r.bothRefuse, unit: 'count' },
    { bench, metric: 'refused by mtlskit only (stricter)', value: r.onlyOpensslAccepts, unit: 'count' },
    {
      bench,
      metric: 'accepted by mtlskit, refused by OpenSSL (must be 0)',
      value: r.onlyMtlskitAccepts,
      unit: 'count',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.table(await run());
}
