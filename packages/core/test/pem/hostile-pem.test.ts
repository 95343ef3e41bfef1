import { readFileSync } from 'node:fs';
import { isMtlsError, parseCertificate, parseCertificates, splitPemBundle, verifyChain } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';

// Finding 1: PEM scanning must be linear in the input. The speed ratio itself is measured in
// bench/pem-hostile.ts; here a generous relative bound catches a quadratic scan (1 MiB of
// unterminated BEGIN lines took 14 s, against ~20 ms for a benign 1 MiB bundle).
const MIB = 1024 * 1024;
const roots = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
const benign = roots.repeat(Math.ceil(MIB / roots.length)).slice(0, MIB);
const benignBundle = benign.slice(0, benign.lastIndexOf('-----END CERTIFICATE-----\n') + 26);

export const hostileInputs: Record<string, string> = {
  'BEGIN lines without END': '-----BEGIN CERTIFICATE-----\n'.repeat(MIB / 28),
  'BEGIN lines, then one END': `${'-----BEGIN CERTIFICATE-----\n'.repeat(MIB / 28 - 1)}-----END CERTIFICATE-----\n`,
  'bare BEGIN prefixes': '-----BEGIN '.repeat(MIB / 11),
  'header-like blank lines': `-----BEGIN CERTIFICATE-----\n${'\n'.repeat(MIB - 60)}-----END CERTIFICATE-----\n`,
};

function time(fn: () => unknown): number {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!isMtlsError(e)) throw e;
  }
  return performance.now() - t0;
}

describe('hostile PEM', () => {
  it('every entry point answers in time linear in the input', async () => {
    time(() => splitPemBundle(benignBundle));
    const base = Math.max(
      5,
      Math.min(
        time(() => splitPemBundle(benignBundle)),
        time(() => splitPemBundle(benignBundle)),
      ),
    );
    for (const [name, text] of Object.entries(hostileInputs)) {
      const t = Math.min(
        time(() => splitPemBundle(text)),
        time(() => parseCertificates(text)),
      );
      expect(t, `${name}: ${t.toFixed(0)} ms vs benign ${base.toFixed(0)} ms`).toBeLessThan(base * 10);
      const half = text.slice(0, 400 * 1024);
      expect(
        time(() => parseCertificate(half)),
        name,
      ).toBeLessThan(base * 10);
      const t0 = performance.now();
      const v = await verifyChain({ leaf: half, trustAnchors: half, purpose: 'any' });
      expect(v.ok).toBe(false);
      expect(performance.now() - t0, name).toBeLessThan(base * 10);
    }
  });

  it('still reads a real bundle and reports a truncated one', () => {
    expect(splitPemBundle(roots).length).toBeGreaterThan(100);
    expect(() => splitPemBundle('-----BEGIN CERTIFICATE-----\nMIIB')).toThrow(/without a matching END/);
    expect(() => splitPemBundle('-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n')).toThrow(
      /closed by "END X509 CRL"/,
    );
  });
});
