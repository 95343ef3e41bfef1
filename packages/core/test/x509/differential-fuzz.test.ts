import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../bench/lib/seeded-random.js';
import { makeSeeds, runDifferentialFuzz } from '../helpers/differential-fuzz.js';

// Finding 3's oracle, kept in CI: 3,000 seeded mutants of RSA, ECDSA and Ed25519 certificates
// and CSRs. Whatever parseCertificate / parseCsr accepts, OpenSSL must accept too.
// bench/x509-differential-fuzz.ts runs the 30,000-mutant version.
describe('differential fuzz against OpenSSL', () => {
  it('accepts no mutant that OpenSSL refuses (3,000 mutants)', { timeout: 120_000 }, async () => {
    const seeds = await makeSeeds();
    expect(new Set(seeds.map((s) => s.kind))).toEqual(new Set(['certificate', 'csr']));
    const report = await runDifferentialFuzz(seeds, 3000, seededRandom(20261202));
    expect(report.mutants).toBe(3000);
    // The mutants must reach the decoders, not just break the framing.
    expect(report.bothAccept).toBeGreaterThan(300);
    expect(report.examples, JSON.stringify(report.examples.slice(0, 3))).toEqual([]);
    expect(report.onlyMtlskitAccepts).toBe(0);
  });
});
