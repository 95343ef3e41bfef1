import type { CertificateInfo } from '../cert/parse-certificate.js';

// How findings name certificates, dates and durations: one wording for every finding.

export const DAY = 86_400_000;

export function isoDate(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

function shortFp(c: CertificateInfo): string {
  return `${c.fingerprintSha256.slice(0, 23)}…`;
}

/** `"CN=x" (SHA-256 AB:CD:…)`: enough to find the certificate with `openssl x509 -fingerprint`. */
export function describe(c: CertificateInfo, full = false): string {
  return `"${c.subject || '(empty subject)'}" (SHA-256 ${full ? c.fingerprintSha256 : shortFp(c)})`;
}

export function humanDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2 * DAY) return `${Math.round(abs / DAY)} days`;
  if (abs >= 2 * 3_600_000) return `${Math.round(abs / 3_600_000)} hours`;
  return `${Math.max(1, Math.round(abs / 60_000))} minutes`;
}

/** Glob with `*` and `?`, matched against the whole string. */
export function matchesGlob(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(text);
}
