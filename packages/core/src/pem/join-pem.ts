import type { CertificateInfo } from '../cert/parse-certificate.js';

/**
 * Joins certificates (PEM strings or parsed certificates) into one bundle in which every
 * block ends with a newline, so that concatenating bundles never glues two lines together
 * (the `-----END CERTIFICATE----------BEGIN` bug).
 *
 * @example
 * ```ts
 * const chainPem = joinPem([leaf, intermediate]);
 * ```
 */
export function joinPem(certs: ReadonlyArray<string | CertificateInfo>): string {
  return certs
    .map((c) => (typeof c === 'string' ? c : c.pem).trim())
    .filter((c) => c.length > 0)
    .map((c) => `${c}\n`)
    .join('');
}
