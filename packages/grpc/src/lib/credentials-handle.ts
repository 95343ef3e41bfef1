import type { Credentials, MtlsError } from '@mtlskit/core';
import type { SourceCertificateProvider } from '../provider/source-certificate-provider.js';

/** What mtlskit adds to the grpc-js credentials objects it returns. */
export interface CredentialsHandle {
  /** `update`: a new generation is in service. `error`: an update was refused (or the source failed); the last good identity stays. */
  on(event: 'update', fn: (c: Credentials) => void): this;
  on(event: 'error', fn: (e: MtlsError) => void): this;
  off(event: 'update', fn: (c: Credentials) => void): this;
  off(event: 'error', fn: (e: MtlsError) => void): this;
  /** The generation in service, 0 before the first identity. */
  readonly generation: number;
  /** Stops following the source (for shutdown; the identity in service stays loaded). */
  close(): void;
}

/** Adds the {@link CredentialsHandle} members to a grpc-js credentials object. */
export function withHandle<T extends object>(
  target: T,
  provider: SourceCertificateProvider,
  onClose: () => void = () => undefined,
): T & CredentialsHandle {
  const handle = target as T & CredentialsHandle;
  Object.defineProperties(handle, {
    on: {
      value(event: 'update' | 'error', fn: (arg: never) => void) {
        provider.on(event, fn as () => void);
        return handle;
      },
    },
    off: {
      value(event: 'update' | 'error', fn: (arg: never) => void) {
        provider.off(event, fn as () => void);
        return handle;
      },
    },
    generation: { get: () => provider.accepted?.credentials.generation ?? 0 },
    close: {
      value() {
        provider.close();
        onClose();
      },
    },
    // grpc-js keeps the private key of the generation in service in plain properties of
    // these objects: util.inspect and JSON.stringify show only what is safe to log.
    [Symbol.for('nodejs.util.inspect.custom')]: {
      value: () => `MtlsCredentials { generation: ${handle.generation} }`,
    },
    toJSON: { value: () => ({ generation: handle.generation }) },
  });
  return handle;
}
