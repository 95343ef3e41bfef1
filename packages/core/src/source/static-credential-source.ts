import type { CredentialSource, Credentials } from './credentials.js';
import { MutableCredentialSource, type MutableCredentialSourceOptions } from './mutable-credential-source.js';
import { abortable, type ReadyOptions } from './ready-options.js';
import type { CredentialsInput } from './validate-credentials.js';

/**
 * A {@link CredentialSource} that never changes: the material is validated once, then
 * served as generation 1. `ready()` rejects (and `error` is emitted) when it is invalid.
 *
 * @example
 * ```ts
 * import { createStaticCredentialSource } from '@mtlskit/core';
 * const source = createStaticCredentialSource({ certificateChainPem, privateKeyPem, trustAnchorsPem });
 * const creds = await source.ready();
 * ```
 */
export function createStaticCredentialSource(
  input: CredentialsInput,
  options: MutableCredentialSourceOptions = {},
): CredentialSource {
  const inner = new MutableCredentialSource(options);
  const validated = inner.set(input);
  // A rejection is delivered through ready() and the `error` event, never as an unhandled one.
  validated.catch(() => undefined);
  const source: CredentialSource = {
    current: (): Credentials => inner.current(),
    ready: (options: ReadyOptions = {}): Promise<Credentials> => abortable(validated, options.signal),
    on(event: 'update' | 'error', fn: (arg: never) => void) {
      inner.on(event, fn as () => void);
      return source;
    },
    off(event: 'update' | 'error', fn: (arg: never) => void) {
      inner.off(event, fn as () => void);
      return source;
    },
  } as CredentialSource;
  return source;
}
