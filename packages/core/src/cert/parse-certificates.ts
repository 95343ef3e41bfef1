import { MtlsError } from '../errors/mtls-error.js';
import { splitPemBundle } from '../pem/split-pem-bundle.js';
import { type CertificateInfo, parseCertificate } from './parse-certificate.js';

/** The most certificates one bundle may hold (Mozilla's root store is ~150). */
export const MAX_BUNDLE_CERTIFICATES = 1000;

/**
 * Parses every certificate of a PEM bundle, in order.
 *
 * @example
 * ```ts
 * const anchors = parseCertificates(readFileSync('ca-bundle.pem', 'utf8'));
 * ```
 */
export function parseCertificates(text: string): CertificateInfo[] {
  const pems = splitPemBundle(text);
  if (pems.length > MAX_BUNDLE_CERTIFICATES) {
    throw new MtlsError(
      'ERR_MTLS_INPUT_TOO_LARGE',
      `The bundle holds ${pems.length} certificates; at most ${MAX_BUNDLE_CERTIFICATES} are accepted.`,
    );
  }
  return pems.map((pem) => parseCertificate(pem));
}
