import { type CertificateAuthority, createCertificateAuthority, type KeyAlgorithm } from '@mtlskit/core';

/** A ready-made PKI for tests: one CA, a server identity for 127.0.0.1/localhost and a client identity. */
export interface TestPki {
  readonly ca: CertificateAuthority;
  readonly caPem: string;
  readonly server: { readonly certPem: string; readonly keyPem: string };
  readonly client: { readonly certPem: string; readonly keyPem: string };
}

/** Options of {@link createTestPki}. */
export interface CreateTestPkiOptions {
  /** Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  /** Client certificate common name. Default `'test-client'`. */
  clientCommonName?: string;
  /** Lifetime of the leaves. Default 1 hour. */
  validityMs?: number;
}

/**
 * Creates a CA with a server certificate (`localhost`, `127.0.0.1`, `::1`) and a client
 * certificate, ready for `tls.createServer` / `tls.connect` in tests.
 *
 * @example
 * ```ts
 * const pki = await createTestPki();
 * const server = tls.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.caPem, requestCert: true });
 * ```
 */
export async function createTestPki(options: CreateTestPkiOptions = {}): Promise<TestPki> {
  const keyAlgorithm = options.keyAlgorithm ?? 'ECDSA-P256';
  const validityMs = options.validityMs ?? 3_600_000;
  const ca = await createCertificateAuthority({ keyAlgorithm, subject: { commonName: 'mtlskit test CA' } });
  const server = await ca.issue({
    profile: 'server',
    keyAlgorithm,
    validityMs,
    subject: { commonName: 'localhost' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const client = await ca.issue({
    keyAlgorithm,
    validityMs,
    subject: { commonName: options.clientCommonName ?? 'test-client' },
  });
  return {
    ca,
    caPem: ca.certificatePem,
    server: { certPem: server.certificatePem, keyPem: server.privateKeyPem! },
    client: { certPem: client.certificatePem, keyPem: client.privateKeyPem! },
  };
}
