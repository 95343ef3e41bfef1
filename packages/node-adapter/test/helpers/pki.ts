import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:tls';
import {
  type CertificateAuthority,
  type CredentialsInput,
  createCertificateAuthority,
  MutableCredentialSource,
} from '@mtlskit/core';

export type { CredentialsInput };
export { MutableCredentialSource };

export interface TestPki {
  ca: CertificateAuthority;
  client(
    cn?: string,
    extra?: { uris?: string[]; validityMs?: number; notBefore?: Date; notAfter?: Date },
  ): Promise<CredentialsInput>;
  server(cn?: string): Promise<CredentialsInput>;
}

export async function createTestPki(name = 'test CA'): Promise<TestPki> {
  const ca = await createCertificateAuthority({ subject: { commonName: name } });
  return {
    ca,
    async client(cn = 'client', extra = {}) {
      const issued = await ca.issue({ subject: { commonName: cn }, profile: 'client', ...extra });
      return {
        certificateChainPem: issued.chainPem,
        privateKeyPem: issued.privateKeyPem!,
        trustAnchorsPem: ca.certificatePem,
      };
    },
    async server(cn = 'server') {
      const issued = await ca.issue({
        subject: { commonName: cn },
        profile: 'both',
        ipAddresses: ['127.0.0.1'],
        dnsNames: ['localhost'],
      });
      return {
        certificateChainPem: issued.chainPem,
        privateKeyPem: issued.privateKeyPem!,
        trustAnchorsPem: ca.certificatePem,
      };
    },
  };
}

export async function listen(server: Server | import('node:net').Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: import('node:net').Server): Promise<void> {
  const s = server as import('node:net').Server & { closeAllConnections?: () => void };
  return new Promise((resolve) => {
    server.close(() => resolve());
    s.closeAllConnections?.();
  });
}

/** Serial of the first certificate of a chain, upper-case hex as Node prints it. */
export function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber.toUpperCase();
}
