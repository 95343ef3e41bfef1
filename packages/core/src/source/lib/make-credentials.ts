import type { Credentials } from '../credentials.js';
import type { ValidatedCredentials } from '../validate-credentials.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A frozen {@link Credentials} whose private key is a non-enumerable property, so
 * `JSON.stringify`, `util.inspect` and log serializers never print it.
 */
export function makeCredentials(material: ValidatedCredentials, generation: number): Credentials {
  const summary = {
    generation,
    notBefore: material.notBefore.toISOString(),
    notAfter: material.notAfter.toISOString(),
    subject: material.leaf.subject,
    fingerprintSha256: material.leaf.fingerprintSha256,
  };
  const out = {
    certificateChainPem: material.certificateChainPem,
    trustAnchorsPem: material.trustAnchorsPem,
    notBefore: material.notBefore,
    notAfter: material.notAfter,
    generation,
  };
  Object.defineProperty(out, 'privateKeyPem', { value: material.privateKeyPem, enumerable: false });
  Object.defineProperty(out, 'toJSON', {
    value: () => ({ ...summary, privateKeyPem: '[redacted]' }),
    enumerable: false,
  });
  Object.defineProperty(out, INSPECT, {
    value: () => `Credentials ${JSON.stringify({ ...summary, privateKeyPem: '[redacted]' })}`,
    enumerable: false,
  });
  return Object.freeze(out) as unknown as Credentials;
}
