import { MtlsError } from '@mtlskit/core';
import { parseSpiffeId } from './parse-spiffe-id.js';

/**
 * Normalises a trust domain given as `example.org` or `spiffe://example.org`.
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_ID_INVALID` for anything else.
 * @example
 * ```ts
 * import { trustDomainName } from '@mtlskit/spiffe';
 * trustDomainName('spiffe://example.org'); // 'example.org'
 * ```
 */
export function trustDomainName(trustDomain: string): string {
  const id = trustDomain.startsWith('spiffe://') ? trustDomain : `spiffe://${trustDomain}`;
  const parsed = parseSpiffeId(id);
  if (parsed.path !== '') {
    throw new MtlsError(
      'ERR_MTLS_SPIFFE_ID_INVALID',
      `"${trustDomain}" is not a trust domain: it has a path.`,
      {
        details: { id: trustDomain },
      },
    );
  }
  return parsed.trustDomain;
}
