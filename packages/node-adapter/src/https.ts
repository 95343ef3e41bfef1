/**
 * `@mtlskit/node-adapter/https`: the `https.Agent` for axios, got, node-fetch and
 * `https.request` alone (does not load undici).
 *
 * @packageDocumentation
 */
export { explainTlsFailure, type TlsFailureContext } from './errors/explain-tls-failure.js';
export {
  createMtlsHttpsAgent,
  MtlsHttpsAgent,
  type MtlsHttpsAgentOptions,
} from './https-agent/create-mtls-https-agent.js';
export type { TlsFloorVersion, TlsVersionOptions } from './lib/tls-versions.js';
