/**
 * A `CredentialSource` fed by the SPIFFE Workload API (SPIRE agent, Teleport tbot), JWT-SVIDs and SPIFFE IDs.
 *
 * @module @mtlskit/spiffe
 */
export * from '../../packages/spiffe/src/index.js';
