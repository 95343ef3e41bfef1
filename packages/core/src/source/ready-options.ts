import { MtlsError } from '../errors/mtls-error.js';

/** Options of every `ready()` method. */
export interface ReadyOptions {
  /**
   * Stop waiting when this signal aborts: the promise rejects with `ERR_MTLS_ABORTED`
   * (the signal's reason as `cause`). The source itself keeps going.
   */
  signal?: AbortSignal;
}

/**
 * `promise`, or a rejection with `ERR_MTLS_ABORTED` as soon as `signal` aborts (at once when
 * it already has). Only the wait is abandoned, never the work behind `promise`.
 *
 * @example
 * ```ts
 * import { abortable } from '@mtlskit/core';
 * const creds = await abortable(source.ready(), AbortSignal.timeout(5_000));
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  const aborted = (): MtlsError =>
    new MtlsError('ERR_MTLS_ABORTED', 'Stopped waiting: the AbortSignal passed in was aborted.', {
      cause: signal.reason,
    });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
