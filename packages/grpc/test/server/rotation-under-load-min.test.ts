import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { mustShowRotation } from '../helpers/must-show.js';

// The whole graph (mtlskit's sources and the test helpers) gets the lowest supported grpc-js.
vi.mock('@grpc/grpc-js', async () => await import('grpc-js-min'));

describe('createServerCredentials + createChannelCredentials on the lowest supported grpc-js', () => {
  it('runs grpc-js 1.13.0', () => {
    const version = (createRequire(import.meta.url)('grpc-js-min/package.json') as { version: string })
      .version;
    expect(version).toBe('1.13.0');
  });

  it('rotate both identities every 500 ms for 20 s under load: 0 failed RPCs, ≥ 20 client identities, none past notAfter', async () => {
    await mustShowRotation('grpc-js 1.13.0');
  }, 90_000);
});
