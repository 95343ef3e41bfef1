import { decodePemBlocks, encodePem, MAX_BUNDLE_BYTES } from './pem-blocks.js';

/**
 * Splits a PEM bundle into its certificates, each as normalised PEM (64-column base64,
 * newline-terminated). Bundles up to 8 MiB are accepted. Non-certificate blocks and text between blocks are ignored; a
 * corrupt block throws `ERR_MTLS_PEM_MALFORMED`.
 *
 * @example
 * ```ts
 * const [leaf, ...intermediates] = splitPemBundle(readFileSync('chain.pem', 'utf8'));
 * ```
 */
export function splitPemBundle(text: string): string[] {
  return decodePemBlocks(text, 'PEM bundle', MAX_BUNDLE_BYTES)
    .filter(
      (b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE',
    )
    .map((b) => encodePem('CERTIFICATE', b.der));
}
