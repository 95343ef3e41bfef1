import type { CertificateInfo } from '../cert/parse-certificate.js';
import { parseCertificates } from '../cert/parse-certificates.js';
import type { ChainPurpose } from '../chain/chain-verdict.js';
import { verifyChain } from '../chain/verify-chain.js';
import { isMtlsError, MtlsError } from '../errors/mtls-error.js';
import { keyMatchesCertificate } from '../keys/key-matches-certificate.js';
import { joinPem } from '../pem/join-pem.js';

/** The material of one identity before it was validated (what a store or a file holds). */
export interface CredentialsInput {
  /** Leaf first, then intermediates (PEM). */
  readonly certificateChainPem: string;
  /** PKCS#8 (or SEC1 / PKCS#1) PEM. A secret: it never appears in errors. */
  readonly privateKeyPem: string;
  /** CAs used to verify the peer; the leaf must chain to one of them unless `chainAnchorsPem` is given. */
  readonly trustAnchorsPem: string;
  /**
   * The CA(s) your own chain ends at, when they are not CAs you trust for peers: e.g. a
   * client certificate from a private CA presented to a server with a public certificate.
   * The leaf is verified against these instead of `trustAnchorsPem`, so you never have to
   * widen the peer trust to your own issuer. Default: `trustAnchorsPem`.
   */
  readonly chainAnchorsPem?: string;
}

/** Options of {@link validateCredentials}. */
export interface ValidateCredentialsOptions {
  /**
   * What the leaf is checked for. Default: TLS, as a client or as a server (the same identity
   * often acts as both), so a code-signing-only certificate is refused. `'any'` skips the
   * usage checks and must be asked for.
   */
  purpose?: ChainPurpose;
  /** Where "now" comes from. Default `Date.now`. */
  clock?: { now(): number };
}

/** Material that passed {@link validateCredentials}, with the leaf's validity period. */
export interface ValidatedCredentials extends CredentialsInput {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The parsed leaf certificate. */
  readonly leaf: CertificateInfo;
}

function invalid(
  code: `ERR_MTLS_${string}`,
  message: string,
  cause?: unknown,
  details?: Record<string, unknown>,
): MtlsError {
  return new MtlsError(code, message, { cause, details });
}

function requireText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid('ERR_MTLS_CREDENTIALS_MISSING', `The credentials have no ${name}; provide it as PEM text.`);
  }
  return value;
}

/**
 * Checks one identity before it may replace a working one: the PEM parses, the private key
 * belongs to the leaf certificate, the leaf is valid now (`notBefore` not in the future,
 * `notAfter` not passed) and the chain verifies for `purpose` against `chainAnchorsPem`
 * when given, else against `trustAnchorsPem` (the CAs trusted for peers).
 *
 * Throws a coded {@link MtlsError}: `ERR_MTLS_CREDENTIALS_MISSING`,
 * `ERR_MTLS_CREDENTIALS_MALFORMED` (bad or truncated PEM), `ERR_MTLS_KEY_MISMATCH`,
 * `ERR_MTLS_CERT_NOT_YET_VALID`, `ERR_MTLS_CERT_EXPIRED` or `ERR_MTLS_CHAIN_INVALID`
 * (`details.chainCode` holds the {@link ChainErrorCode}). Messages never contain the key.
 *
 * @example
 * ```ts
 * import { validateCredentials } from '@mtlskit/core';
 * const ok = await validateCredentials({ certificateChainPem, privateKeyPem, trustAnchorsPem });
 * console.log(ok.notAfter);
 * ```
 */
export async function validateCredentials(
  input: CredentialsInput,
  options: ValidateCredentialsOptions = {},
): Promise<ValidatedCredentials> {
  if (typeof input !== 'object' || input === null) {
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MISSING',
      'Credentials must be an object with certificateChainPem, privateKeyPem and trustAnchorsPem.',
    );
  }
  const chainText = requireText('certificateChainPem', input.certificateChainPem);
  const keyText = requireText('privateKeyPem', input.privateKeyPem);
  const anchorsText = requireText('trustAnchorsPem', input.trustAnchorsPem);
  const now = (options.clock ?? Date).now();

  const ownAnchorsText =
    input.chainAnchorsPem === undefined ? undefined : requireText('chainAnchorsPem', input.chainAnchorsPem);

  let chain: CertificateInfo[];
  let anchors: CertificateInfo[];
  let ownAnchors: CertificateInfo[];
  try {
    chain = parseCertificates(chainText);
    anchors = parseCertificates(anchorsText);
    ownAnchors = ownAnchorsText === undefined ? anchors : parseCertificates(ownAnchorsText);
  } catch (e) {
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      `The certificate chain or trust bundle is not valid PEM (${isMtlsError(e) ? e.message : 'unreadable'}); check that the file was written completely.`,
      e,
    );
  }
  const leaf = chain[0];
  if (leaf === undefined) {
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'certificateChainPem holds no certificate; provide the leaf certificate first.',
    );
  }
  if (anchors.length === 0) {
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'trustAnchorsPem holds no certificate; provide the CA bundle used to verify peers.',
    );
  }
  if (ownAnchors.length === 0) {
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'chainAnchorsPem holds no certificate; provide the CA your own certificate chains to, or leave it out.',
    );
  }

  let matches: boolean;
  try {
    matches = await keyMatchesCertificate(keyText, leaf);
  } catch (e) {
    // The importer's message describes the encoding problem only, never key bytes.
    throw invalid(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      `The private key cannot be read (${isMtlsError(e) ? e.message : 'unreadable'}); check that the key file was written completely.`,
      e,
    );
  }
  if (!matches) {
    throw invalid(
      'ERR_MTLS_KEY_MISMATCH',
      `The private key does not belong to the certificate "${leaf.subject}" (${leaf.fingerprintSha256}); deploy the key that was used for its CSR.`,
      undefined,
      { subject: leaf.subject, fingerprintSha256: leaf.fingerprintSha256 },
    );
  }
  if (leaf.notBefore.getTime() > now) {
    throw invalid(
      'ERR_MTLS_CERT_NOT_YET_VALID',
      `The certificate "${leaf.subject}" is not valid before ${leaf.notBefore.toISOString()}; keep the current one until then or check the clocks.`,
      undefined,
      { notBefore: leaf.notBefore.toISOString() },
    );
  }
  if (leaf.notAfter.getTime() <= now) {
    throw invalid(
      'ERR_MTLS_CERT_EXPIRED',
      `The certificate "${leaf.subject}" expired at ${leaf.notAfter.toISOString()}; issue a new one.`,
      undefined,
      { notAfter: leaf.notAfter.toISOString() },
    );
  }
  // Our own identity is checked against RFC 5280, not the CA/Browser Forum rules of the
  // webpki profile: private mTLS PKIs (SAN-less service certificates) are the norm here.
  const verify = (purpose: ChainPurpose) =>
    verifyChain({
      leaf,
      intermediates: chain.slice(1),
      trustAnchors: ownAnchors,
      at: new Date(now),
      purpose,
      profile: 'rfc5280',
    });
  let verdict = await verify(options.purpose ?? 'clientAuth');
  if (
    options.purpose === undefined &&
    !verdict.ok &&
    (verdict.code === 'EXTENDED_KEY_USAGE' || verdict.code === 'KEY_USAGE')
  ) {
    const asServer = await verify('serverAuth');
    if (asServer.ok) verdict = asServer;
  }
  if (!verdict.ok) {
    throw invalid(
      'ERR_MTLS_CHAIN_INVALID',
      ownAnchorsText === undefined
        ? `The certificate "${leaf.subject}" does not verify against the trust anchors: ${verdict.message} If it comes from another CA than the peers you trust, pass that CA as chainAnchorsPem instead of adding it to trustAnchorsPem.`
        : `The certificate "${leaf.subject}" does not verify against chainAnchorsPem: ${verdict.message}`,
      undefined,
      { chainCode: verdict.code, ...(verdict.depth === undefined ? {} : { depth: verdict.depth }) },
    );
  }
  return {
    certificateChainPem: joinPem(chain.map((c) => c.pem)),
    privateKeyPem: keyText,
    trustAnchorsPem: joinPem(anchors.map((c) => c.pem)),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    leaf,
  };
}
