import * as grpc from '@grpc/grpc-js';
import { MtlsError } from '@mtlskit/core';
import { loadWorkloadApi } from '../proto/load-workload-api.js';

/** The metadata header every Workload API call carries (spec: a guard against SSRF). */
export const WORKLOAD_HEADER = 'workload.spiffe.io';

/** A grpc-js client of `SpiffeWorkloadAPI`; methods take (request, metadata, options, callback). */
export type WorkloadApiClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A fresh channel: the source opens a new one after a failure instead of waiting out grpc-js's own reconnect backoff. */
export function createWorkloadApiClient(target: string): WorkloadApiClient {
  const { Client } = loadWorkloadApi();
  return new Client(target, grpc.credentials.createInsecure(), {
    // The authority is meaningless on a unix socket; a fixed one keeps grpc-js from
    // deriving it from the path.
    'grpc.default_authority': 'localhost',
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2_000,
  }) as WorkloadApiClient;
}

/** The `workload.spiffe.io: true` metadata. */
export function workloadMetadata(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(WORKLOAD_HEADER, 'true');
  return metadata;
}

/** Maps a grpc status error to a coded MtlsError that says what to do. */
export function callError(e: unknown, what: string, address: string): MtlsError {
  const status = e as Partial<grpc.ServiceError> | undefined;
  const code = typeof status?.code === 'number' ? status.code : undefined;
  const name = code === undefined ? 'UNKNOWN' : (grpc.status[code] ?? String(code));
  const details = { address, grpcStatus: name, grpcMessage: status?.details ?? '' };
  if (code === grpc.status.PERMISSION_DENIED) {
    return new MtlsError(
      'ERR_MTLS_SPIFFE_PERMISSION_DENIED',
      `The Workload API at ${address} has no identity for this workload yet (${what}: PermissionDenied); check the registration entry / tbot workload selectors. Retrying.`,
      { cause: e, details },
    );
  }
  if (code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED) {
    return new MtlsError(
      'ERR_MTLS_SPIFFE_UNAVAILABLE',
      `The Workload API at ${address} is unavailable (${what}: ${name}); check that the SPIRE agent or tbot runs and the socket path is right.`,
      { cause: e, details },
    );
  }
  if (code === grpc.status.INVALID_ARGUMENT) {
    return new MtlsError(
      'ERR_MTLS_SPIFFE_CALL_FAILED',
      `The Workload API at ${address} refused the request (${what}: InvalidArgument: ${status?.details ?? ''}).`,
      { cause: e, details },
    );
  }
  return new MtlsError(
    'ERR_MTLS_SPIFFE_CALL_FAILED',
    `The Workload API call ${what} at ${address} failed with ${name}${status?.details ? `: ${status.details}` : ''}.`,
    { cause: e, details },
  );
}
