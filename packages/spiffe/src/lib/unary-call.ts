import type * as grpc from '@grpc/grpc-js';
import { MtlsError } from '@mtlskit/core';
import { resolveWorkloadApiAddress } from '../address/resolve-workload-api-address.js';
import { callError, createWorkloadApiClient, workloadMetadata } from './grpc-client.js';

/** Options every one-shot Workload API call takes. */
export interface WorkloadApiCallOptions {
  /** The Workload API address. Default: `SPIFFE_ENDPOINT_SOCKET`. */
  socketPath?: string;
  /** Deadline of the call in ms. Default `10_000`. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** One unary call (or the first message of a stream) on a channel of its own. */
export function workloadApiCall<T>(
  method: string,
  request: object,
  options: WorkloadApiCallOptions,
  stream = false,
): Promise<T> {
  const address = resolveWorkloadApiAddress(options.socketPath);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `timeoutMs must be a positive number of ms, got ${String(timeoutMs)}.`,
    );
  }
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(method, signal));
  const client = createWorkloadApiClient(address.target);
  const fn = client[method] as (...args: unknown[]) => grpc.ClientUnaryCall | grpc.ClientReadableStream<T>;
  const callOptions = { deadline: Date.now() + timeoutMs };
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let call: grpc.ClientUnaryCall | grpc.ClientReadableStream<T>;
    const finish = (error: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
      client.close();
      if (error !== undefined) reject(error);
      else resolve(value as T);
    };
    const onAbort = (): void => finish(abortError(method, signal!));
    if (stream) {
      const s = fn.call(client, request, workloadMetadata(), callOptions) as grpc.ClientReadableStream<T>;
      call = s;
      s.on('data', (message: T) => finish(undefined, message));
      s.on('error', (e: unknown) => finish(callError(e, method, address.address)));
      s.on('end', () =>
        finish(
          new MtlsError(
            'ERR_MTLS_SPIFFE_CALL_FAILED',
            `The Workload API at ${address.address} ended ${method} without sending anything.`,
          ),
        ),
      );
    } else {
      call = fn.call(client, request, workloadMetadata(), callOptions, (e: unknown, response: T) =>
        e ? finish(callError(e, method, address.address)) : finish(undefined, response),
      ) as grpc.ClientUnaryCall;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(method: string, signal: AbortSignal): MtlsError {
  return new MtlsError('ERR_MTLS_ABORTED', `The Workload API call ${method} was aborted.`, {
    cause: signal.reason,
  });
}
