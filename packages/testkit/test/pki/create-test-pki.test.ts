import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { createTestPki } from '@mtlskit/testkit';
import { describe, expect, it } from 'vitest';

describe('createTestPki', () => {
  it('gives credentials that complete a real mTLS handshake on 127.0.0.1', async () => {
    const pki = await createTestPki({ clientCommonName: 'unit-client' });
    const server = tls.createServer(
      {
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        ca: pki.caPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => s.end(String(s.getPeerCertificate().subject?.CN)),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const seen = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          ca: pki.caPem,
          cert: pki.client.certPem,
          key: pki.client.keyPem,
        });
        let data = '';
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(seen).toBe('unit-client');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
