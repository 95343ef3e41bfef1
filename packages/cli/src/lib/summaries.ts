import type { CertificateInfo } from '@mtlskit/core';

/** The JSON form of a certificate in `verify` and `doctor` output (documented in docs/cli.md). */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
}

export function summarize(c: CertificateInfo): CertificateSummary {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    fingerprintSha256: c.fingerprintSha256,
  };
}

/** `2025-01-02T03:04:05Z` (no milliseconds: certificates have none). */
export function isoDate(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** Aligned `key  value` lines. */
export function keyValues(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n');
}

/** A plain text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
