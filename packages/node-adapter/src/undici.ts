/**
 * `@mtlskit/node-adapter/undici`: the undici dispatcher alone (loads undici; nothing else
 * of this package).
 *
 * @packageDocumentation
 */
export {
  createMtlsDispatcher,
  type DispatcherGenerationInfo,
  MtlsDispatcher,
  type MtlsDispatcherEvents,
  type MtlsDispatcherOptions,
  type MtlsSocketEvent,
} from './dispatcher/create-mtls-dispatcher.js';
export { explainTlsFailure, type TlsFailureContext } from './errors/explain-tls-failure.js';
export type { TlsFloorVersion, TlsVersionOptions } from './lib/tls-versions.js';
