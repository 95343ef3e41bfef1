import { createRequire } from 'node:module';
import { MutableCredentialSource } from '@mtlskit/core';
import { createServerCredentials } from '@mtlskit/grpc';
import { describe, expect, it, vi } from 'vitest';

// grpc-js 1.12: its certificate-provider server credentials never ask clients for a certificate.
vi.mock('@grpc/grpc-js', async () => await import('grpc-js-1-12'));

describe('grpc-js below the supported range', () => {
  it('createServerCredentials refuses 1.12 with ERR_MTLS_GRPC_UNSUPPORTED instead of serving without client authentication', () => {
    const version = (createRequire(import.meta.url)('grpc-js-1-12/package.json') as { version: string })
      .version;
    expect(version).toBe('1.12.6');
    expect(() => createServerCredentials(new MutableCredentialSource())).toThrow(
      expect.objectContaining({
        code: 'ERR_MTLS_GRPC_UNSUPPORTED',
        message: expect.stringContaining('>= 1.13'),
      }),
    );
  });
});
