import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { WORKLOAD_PROTO } from './workload-proto.js';

/** The grpc-js service definition of `SpiffeWorkloadAPI` and the client constructor. */
export interface WorkloadApiDefinition {
  /** For `server.addService(definition.service, handlers)`. */
  readonly service: grpc.ServiceDefinition;
  /** The generated client class (`new Client(target, credentials, options)`). */
  readonly Client: grpc.ServiceClientConstructor;
}

let cached: WorkloadApiDefinition | undefined;

/**
 * Loads the SPIFFE Workload API service (`SpiffeWorkloadAPI`, written from the SPIFFE
 * Workload API specification) for grpc-js: what a client or a test server needs. Field
 * names keep their proto spelling (`spiffe_id`, `x509_svid`), bytes are `Buffer`s. Loaded
 * once per process.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import { loadWorkloadApi } from '@mtlskit/spiffe';
 * const { service } = loadWorkloadApi();
 * const server = new grpc.Server();
 * server.addService(service, { FetchX509SVID: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end() });
 * ```
 */
export function loadWorkloadApi(): WorkloadApiDefinition {
  if (cached !== undefined) return cached;
  const root = new protobuf.Root();
  const struct = protobuf.common.get('google/protobuf/struct.proto');
  if (struct?.nested !== undefined) root.addJSON(struct.nested);
  protobuf.parse(WORKLOAD_PROTO, root, { keepCase: true });
  const definition = fromJSON(root.toJSON(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const Client = grpc.loadPackageDefinition(definition).SpiffeWorkloadAPI as grpc.ServiceClientConstructor;
  cached = { service: Client.service, Client };
  return cached;
}
