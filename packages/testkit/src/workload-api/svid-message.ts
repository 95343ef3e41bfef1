import { createPrivateKey } from 'node:crypto';
import { parseCertificates } from '@mtlskit/core';

/** One X.509-SVID as a test server hands it out (PEM in, concatenated DER on the wire). */
export interface TestSvidInput {
  /** The SPIFFE ID the message names (need not match the certificate: that is for tests of refusals). */
  readonly spiffeId: string;
  /** Leaf first, then intermediates (PEM). */
  readonly certificateChainPem: string;
  /** The leaf's private key (PEM; sent as PKCS#8 DER). */
  readonly privateKeyPem: string;
  /** The trust domain bundle (PEM). Default: the test CA. */
  readonly bundlePem?: string;
  readonly hint?: string;
}

/** The wire form of an `X509SVID`. */
export interface X509SvidWire {
  spiffe_id: string;
  x509_svid: Buffer;
  x509_svid_key: Buffer;
  bundle: Buffer;
  hint: string;
}

/** PEM certificates → DER certificates back to back, as the Workload API sends them. */
export function concatenatedDer(pem: string): Buffer {
  return Buffer.concat(parseCertificates(pem).map((c) => Buffer.from(c.der)));
}

export function toWire(svid: TestSvidInput, defaultBundlePem: string): X509SvidWire {
  return {
    spiffe_id: svid.spiffeId,
    x509_svid: concatenatedDer(svid.certificateChainPem),
    x509_svid_key: createPrivateKey(svid.privateKeyPem).export({ type: 'pkcs8', format: 'der' }),
    bundle: concatenatedDer(svid.bundlePem ?? defaultBundlePem),
    hint: svid.hint ?? '',
  };
}
