import { MtlsError } from '@mtlskit/core';

/**
 * A store could not be reached or did not answer in time (Redis down, restarting,
 * out of memory, a network partition). Code `ERR_MTLS_STORE_UNAVAILABLE`;
 * `details.retryAfterMs` says when to try again. The registration service answers such
 * calls with `503 SERVICE_UNAVAILABLE` and `Retry-After`, never with a 500 or a hang.
 *
 * @example
 * ```ts
 * try { await store.getIdentity(id); } catch (e) {
 *   if (e instanceof StoreUnavailableError) console.log('retry in', e.retryAfterMs, 'ms');
 * }
 * ```
 */
export class StoreUnavailableError extends MtlsError {
  /** How long to wait before the next call. */
  readonly retryAfterMs: number;

  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    const retryAfterMs = options.retryAfterMs ?? 1000;
    super('ERR_MTLS_STORE_UNAVAILABLE', message, { cause: options.cause, details: { retryAfterMs } });
    this.name = 'StoreUnavailableError';
    this.retryAfterMs = retryAfterMs;
  }
}
