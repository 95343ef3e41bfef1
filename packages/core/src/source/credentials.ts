import type { MtlsError } from '../errors/mtls-error.js';
import type { ReadyOptions } from './ready-options.js';

/** One generation of an identity. */
export interface Credentials {
  /** Leaf first, then intermediates; PEM, newline-terminated. */
  readonly certificateChainPem: string;
  /** PKCS#8 PEM. A secret. */
  readonly privateKeyPem: string;
  /** CAs used to verify the peer. */
  readonly trustAnchorsPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Increases by one on every swap. */
  readonly generation: number;
}

/** Implemented by the agent, the file watcher and the static / mutable sources. */
export interface CredentialSource {
  /** The current generation; throws `ERR_MTLS_NO_CREDENTIALS` before the first identity exists. */
  current(): Credentials;
  /** Resolves with the first identity; `signal` abandons the wait (`ERR_MTLS_ABORTED`). */
  ready(options?: ReadyOptions): Promise<Credentials>;
  /** `update` fires only after the new material was validated. */
  on(event: 'update', fn: (c: Credentials) => void): this;
  on(event: 'error', fn: (e: MtlsError) => void): this;
  off(event: 'update', fn: (c: Credentials) => void): this;
  off(event: 'error', fn: (e: MtlsError) => void): this;
}
