import { describe } from 'vitest';
import { peerIdentityCases } from './peer-identity-cases.js';

describe('peer identity, authorization and server verification (newest grpc-js)', () => {
  peerIdentityCases();
});
