import { joinPem } from '@mtlskit/core';
import type { X509Context } from './parse-x509-svid-response.js';
import type { ValidatedSvid } from './validate-x509-svid.js';
import type { SpiffeCredentials } from './x509-svid.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A frozen {@link SpiffeCredentials} whose private key is not enumerable, so JSON,
 * `util.inspect` and log serializers never print it (as core's credentials do).
 */
export function makeSpiffeCredentials(
  svid: ValidatedSvid,
  context: X509Context,
  hint: string,
  generation: number,
): SpiffeCredentials {
  const federated = Object.freeze({ ...context.federatedBundlesPem });
  const summary = {
    generation,
    spiffeId: svid.spiffeId,
    notBefore: svid.notBefore.toISOString(),
    notAfter: svid.notAfter.toISOString(),
    fingerprintSha256: svid.leaf.fingerprintSha256,
    privateKeyPem: '[redacted]',
  };
  const out = {
    certificateChainPem: svid.certificateChainPem,
    trustAnchorsPem: joinPem([svid.trustAnchorsPem, ...Object.values(federated)]),
    notBefore: svid.notBefore,
    notAfter: svid.notAfter,
    generation,
    spiffeId: svid.spiffeId,
    trustDomain: svid.trustDomain,
    hint,
    bundlePem: svid.trustAnchorsPem,
    federatedBundlesPem: federated,
    crlsPem: context.crlsPem,
  };
  Object.defineProperty(out, 'privateKeyPem', { value: svid.privateKeyPem, enumerable: false });
  Object.defineProperty(out, 'toJSON', { value: () => summary, enumerable: false });
  Object.defineProperty(out, INSPECT, {
    value: () => `SpiffeCredentials ${JSON.stringify(summary)}`,
    enumerable: false,
  });
  return Object.freeze(out) as unknown as SpiffeCredentials;
}
