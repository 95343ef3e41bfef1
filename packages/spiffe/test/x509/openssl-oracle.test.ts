import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkloadApiSource } from '@mtlskit/spiffe';
import { createTestWorkloadApi } from '@mtlskit/testkit';
import { describe, expect, it } from 'vitest';

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });

describe('Workload API material checked by openssl', () => {
  it('the served SVID verifies under its bundle, carries the SPIFFE ID, and the key is the leaf key', async () => {
    const api = await createTestWorkloadApi({ spiffeIds: ['spiffe://example.org/ns/prod/sa/billing'] });
    const source = createWorkloadApiSource({ socketPath: api.address });
    const dir = mkdtempSync(join(tmpdir(), 'mtlskit-spiffe-openssl-'));
    try {
      const c = await source.ready();
      const cert = join(dir, 'svid.pem');
      const key = join(dir, 'svid.key');
      const bundle = join(dir, 'bundle.pem');
      writeFileSync(cert, c.certificateChainPem);
      writeFileSync(key, c.privateKeyPem, { mode: 0o600 });
      writeFileSync(bundle, c.trustAnchorsPem);
      expect(openssl('verify', '-CAfile', bundle, cert).trim()).toBe(`${cert}: OK`);
      expect(openssl('x509', '-in', cert, '-noout', '-ext', 'subjectAltName')).toContain(
        'URI:spiffe://example.org/ns/prod/sa/billing',
      );
      expect(openssl('pkey', '-in', key, '-pubout')).toBe(openssl('x509', '-in', cert, '-noout', '-pubkey'));
      // The key travelled as PKCS#8, as the spec says.
      expect(c.privateKeyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await source.close();
      await api.close();
    }
  });
});
