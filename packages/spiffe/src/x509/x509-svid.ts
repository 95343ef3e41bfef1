import type { Credentials } from '@mtlskit/core';

/** One X.509-SVID from a Workload API message, as PEM. */
export interface X509Svid {
  /** The SPIFFE ID the agent says this SVID carries. */
  readonly spiffeId: string;
  /** The operator's label for this SVID (`''` when none). */
  readonly hint: string;
  /** Leaf first, then intermediates (PEM). */
  readonly certificateChainPem: string;
  /** PKCS#8 PEM. A secret: not enumerable, never printed. */
  readonly privateKeyPem: string;
  /** The CA certificates of the SVID's own trust domain (PEM). */
  readonly bundlePem: string;
}

/** The credentials a {@link WorkloadApiSource} serves: one SVID plus its trust material. */
export interface SpiffeCredentials extends Credentials {
  /** The SVID's SPIFFE ID (its only URI SAN). */
  readonly spiffeId: string;
  /** The SPIFFE ID's trust domain, e.g. `example.org`. */
  readonly trustDomain: string;
  /** The SVID's hint (`''` when none). */
  readonly hint: string;
  /** The own trust domain's bundle (PEM); `trustAnchorsPem` is this plus the federated bundles. */
  readonly bundlePem: string;
  /** Federated bundles (PEM) keyed by trust domain name. */
  readonly federatedBundlesPem: Readonly<Record<string, string>>;
  /** CRLs the agent sent (PEM `X509 CRL` blocks, `''` when none). */
  readonly crlsPem: string;
}
