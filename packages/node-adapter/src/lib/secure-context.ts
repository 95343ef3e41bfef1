import { createSecureContext, type SecureContext } from 'node:tls';
import type { Credentials } from '@mtlskit/core';
import { MtlsError } from '@mtlskit/core';
import { resolveTlsVersions, type TlsVersionOptions } from './tls-versions.js';

/** The one SecureContext of a credential generation (built once, never per connection). */
export function buildSecureContext(credentials: Credentials, versions: TlsVersionOptions): SecureContext {
  try {
    return createSecureContext({
      cert: credentials.certificateChainPem,
      key: credentials.privateKeyPem,
      ca: credentials.trustAnchorsPem,
      ...resolveTlsVersions(versions),
    });
  } catch (e) {
    if (e instanceof MtlsError) throw e;
    // OpenSSL's text is kept as the cause only: it can quote the failing PEM line.
    throw new MtlsError(
      'ERR_MTLS_CREDENTIALS_UNUSABLE',
      `Node could not load credentials generation ${credentials.generation} into a TLS context; check that the key and certificate are supported by this OpenSSL build.`,
      { cause: e, details: { generation: credentials.generation } },
    );
  }
}
