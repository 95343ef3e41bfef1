import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  createCertificateAuthority,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  type KeyAlgorithm,
} from '@mtlskit/core';
import { describe, expect, it } from 'vitest';

const ALGORITHMS: KeyAlgorithm[] = [
  'ECDSA-P256',
  'ECDSA-P384',
  'RSA-2048',
  'RSA-3072',
  'RSA-4096',
  'Ed25519',
];

interface HandshakeResult {
  serverSawClient: string | undefined;
  clientSawServer: string | undefined;
  protocol: string | null;
}

async function handshake(
  caPem: string,
  server: { cert: string; key: string },
  client: { cert: string; key: string },
  maxVersion: tls.SecureVersion = 'TLSv1.3',
): Promise<HandshakeResult> {
  let serverSawClient: string | undefined;
  const srv = tls.createServer(
    { ...server, ca: caPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', maxVersion },
    (socket) => {
      serverSawClient = socket.getPeerCertificate().subject?.CN as string | undefined;
      socket.end('hello');
    },
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port, servername: 'localhost', ca: caPem, ...client, maxVersion },
        () => {
          const clientSawServer = socket.getPeerCertificate().subject?.CN as string | undefined;
          const protocol = socket.getProtocol();
          socket.once('data', () => {
            socket.end();
            resolve({ serverSawClient, clientSawServer, protocol });
          });
        },
      );
      socket.once('error', reject);
    });
  } finally {
    await new Promise((r) => srv.close(r));
  }
}

describe('real mTLS handshakes on 127.0.0.1 with keys of every supported algorithm', () => {
  for (const algorithm of ALGORITHMS) {
    it(`completes TLS 1.3 and 1.2 with ${algorithm} on both sides`, async () => {
      const ca = await createCertificateAuthority({
        keyAlgorithm: algorithm,
        subject: { commonName: `${algorithm} CA` },
      });
      const serverKey = await generateKeyPair({ algorithm });
      const server = await ca.issue({
        profile: 'server',
        subject: { commonName: 'localhost' },
        dnsNames: ['localhost'],
        publicKey: serverKey,
      });
      const client = await ca.issue({
        subject: { commonName: `client-${algorithm}` },
        keyAlgorithm: algorithm,
      });
      // The key goes through PEM export and re-import, as an agent's stored key would.
      const clientKeyPem = await exportPrivateKeyPem(await importPrivateKey(client.privateKeyPem!));
      const creds = {
        server: { cert: server.certificatePem, key: await exportPrivateKeyPem(serverKey) },
        client: { cert: client.certificatePem, key: clientKeyPem },
      };
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
        const result = await handshake(ca.certificatePem, creds.server, creds.client, version);
        expect(result).toEqual({
          serverSawClient: `client-${algorithm}`,
          clientSawServer: 'localhost',
          protocol: version,
        });
      }
    }, 60_000);
  }

  it('fails the handshake when the client certificate comes from another CA', async () => {
    const ca = await createCertificateAuthority();
    const rogue = await createCertificateAuthority({ subject: { commonName: 'mtlskit dev CA' } }); // same name, other key
    const server = await ca.issue({
      profile: 'server',
      subject: { commonName: 'localhost' },
      dnsNames: ['localhost'],
    });
    const client = await rogue.issue({ subject: { commonName: 'intruder' } });
    await expect(
      handshake(
        ca.certificatePem,
        { cert: server.certificatePem, key: server.privateKeyPem! },
        { cert: client.certificatePem, key: client.privateKeyPem! },
        'TLSv1.2',
      ),
    ).rejects.toThrow();
  });
});
