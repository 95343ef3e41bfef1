import { inspect } from 'node:util';
import type { Credentials } from '@mtlskit/core';

/**
 * A Credentials object whose private key is readable (`c.privateKeyPem`) but not
 * enumerable, so `JSON.stringify`, `util.inspect`, spreading and loggers never show it.
 */
export function makeCredentials(input: Omit<Credentials, never>): Credentials {
  const out = {
    certificateChainPem: input.certificateChainPem,
    trustAnchorsPem: input.trustAnchorsPem,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    generation: input.generation,
  };
  Object.defineProperty(out, 'privateKeyPem', { value: input.privateKeyPem, enumerable: false });
  Object.defineProperty(out, inspect.custom, {
    value: () =>
      `Credentials { generation: ${input.generation}, notBefore: ${input.notBefore.toISOString()}, notAfter: ${input.notAfter.toISOString()}, privateKeyPem: [REDACTED] }`,
    enumerable: false,
  });
  return Object.freeze(out) as Credentials;
}
