import { describe, it } from 'vitest';
import { mustShowRotation } from '../helpers/must-show.js';

describe('createServerCredentials + createChannelCredentials on the newest grpc-js', () => {
  it('rotate both identities every 500 ms for 20 s under load: 0 failed RPCs, ≥ 20 client identities, none past notAfter', async () => {
    await mustShowRotation('grpc-js latest');
  }, 90_000);
});
