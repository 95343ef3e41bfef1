import { describe, vi } from 'vitest';
import { peerIdentityCases } from './peer-identity-cases.js';

// grpc-js 1.13 has no getAuthContext(): identities come from the credentials' interceptor.
vi.mock('@grpc/grpc-js', async () => await import('grpc-js-min'));

describe('peer identity, authorization and server verification (grpc-js 1.13.0)', () => {
  peerIdentityCases();
});
