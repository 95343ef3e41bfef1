import { MtlsError } from '../errors/mtls-error.js';
import { sha1, sha256, toBase64, toColonHex } from '../hash/sha.js';
import { encodePem, MAX_CERTIFICATE_BYTES, toDer } from '../pem/pem-blocks.js';
import { type DecodedCertificate, decodeCertificate, serialHex } from '../x509/decode-certificate.js';
import { DerError } from '../x509/der.js';
import type { NameAttribute } from '../x509/name.js';
import { commonNameOf, nameToString } from '../x509/name.js';
import type { KeyUsage } from '../x509/oids.js';

export type { NameAttribute } from '../x509/name.js';
export type { KeyUsage } from '../x509/oids.js';

/** What mtlskit reads from one X.509 certificate. All fields are plain data (JSON-safe but for dates). */
export interface CertificateInfo {
  /** RFC 4514 subject, e.g. `CN=agent-1,O=Example`. */
  readonly subject: string;
  /** Subject attributes in encoding order (most general first). */
  readonly subjectAttributes: readonly NameAttribute[];
  /** The subject's common name, when it has one. */
  readonly commonName: string | undefined;
  /** RFC 4514 issuer. */
  readonly issuer: string;
  readonly issuerAttributes: readonly NameAttribute[];
  /** Serial number as lowercase hex, byte by byte as `openssl x509 -serial` prints it (no leading zero bytes). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** URI SANs, SPIFFE IDs included. */
  readonly uris: readonly string[];
  readonly emails: readonly string[];
  /** directoryName SANs as RFC 4514 strings. */
  readonly directoryNames: readonly string[];
  /** Key usages; empty when the extension is absent (see `hasKeyUsage`). */
  readonly keyUsage: readonly KeyUsage[];
  readonly hasKeyUsage: boolean;
  /** Extended key usages by name (`serverAuth`, `clientAuth`, …) or dotted OID; empty when absent. */
  readonly extendedKeyUsage: readonly string[];
  readonly hasExtendedKeyUsage: boolean;
  readonly isCA: boolean;
  /** basicConstraints pathLenConstraint, when set. */
  readonly pathLength: number | undefined;
  /** Subject key identifier as lowercase hex. */
  readonly subjectKeyId: string | undefined;
  /** Authority key identifier (keyIdentifier) as lowercase hex. */
  readonly authorityKeyId: string | undefined;
  /** `AA:BB:…` exactly as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  readonly fingerprintSha1: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo (the HPKP / SPKI pin form). */
  readonly spkiSha256: string;
  /** `RSA`, `ECDSA`, `Ed25519`, … */
  readonly publicKeyAlgorithm: string;
  /** Key size in bits (RSA modulus, EC field size, 256 for Ed25519). */
  readonly publicKeySize: number;
  /** EC curve (`P-256`, …) for ECDSA keys. */
  readonly publicKeyCurve: string | undefined;
  /** e.g. `ecdsa-with-SHA256`, `sha256WithRSAEncryption`. */
  readonly signatureAlgorithm: string;
  /** Whether subject and issuer are the same name (a root or a self-issued certificate). */
  readonly selfIssued: boolean;
  /** Extensions present, with their criticality. */
  readonly extensions: readonly { oid: string; critical: boolean }[];
  readonly version: number;
  /** The certificate as PEM (newline-terminated). */
  readonly pem: string;
  /** The certificate as DER. */
  readonly der: Uint8Array;
}

const decoded = new WeakMap<CertificateInfo, DecodedCertificate>();

/** Internal: the decoded structure behind a CertificateInfo (for the verifier). */
export function decodedOf(info: CertificateInfo): DecodedCertificate {
  const d = decoded.get(info);
  if (d) return d;
  const fresh = decodeCertificate(info.der);
  decoded.set(info, fresh);
  return fresh;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parses one X.509 certificate from PEM text (the first `CERTIFICATE` block), base64 or DER
 * bytes. Strict DER; bad input throws an {@link MtlsError}: `ERR_MTLS_PEM_MALFORMED`,
 * `ERR_MTLS_PEM_WRONG_TYPE`, `ERR_MTLS_CERT_MALFORMED` or `ERR_MTLS_INPUT_TOO_LARGE`.
 *
 * @example
 * ```ts
 * const info = parseCertificate(readFileSync('client.crt', 'utf8'));
 * console.log(info.subject, info.notAfter, info.fingerprintSha256);
 * ```
 */
export function parseCertificate(pemOrDer: string | Uint8Array): CertificateInfo {
  const block = toDer(
    pemOrDer,
    ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'],
    'certificate',
    MAX_CERTIFICATE_BYTES,
  );
  // Keep our own copy: the caller may reuse or change its buffer after this returns. Not
  // `.slice()`: on a Node Buffer that is a view of the same memory.
  const der = pemOrDer instanceof Uint8Array && block.der === pemOrDer ? new Uint8Array(pemOrDer) : block.der;
  let d: DecodedCertificate;
  try {
    d = decodeCertificate(der);
  } catch (e) {
    // Any failure while decoding is a malformed certificate, whatever threw it.
    const why = e instanceof DerError ? e.message : 'unreadable structure';
    throw new MtlsError(
      'ERR_MTLS_CERT_MALFORMED',
      `The certificate is not valid DER (${why}); re-export it as PEM.`,
      {
        cause: e,
      },
    );
  }
  return infoFromDecoded(d);
}

function lazy<K extends keyof CertificateInfo>(
  info: CertificateInfo,
  key: K,
  compute: () => CertificateInfo[K],
): void {
  let value: CertificateInfo[K] | undefined;
  Object.defineProperty(info, key, {
    enumerable: true,
    configurable: false,
    get: () => {
      value ??= compute();
      return value;
    },
  });
}

/** Internal: the public view of a decoded certificate. */
export function infoFromDecoded(d: DecodedCertificate): CertificateInfo {
  const ext = d.extensions;
  const subjectAttributes = d.subject.flat();
  const info: CertificateInfo = {
    subject: nameToString(d.subject),
    subjectAttributes,
    commonName: commonNameOf(d.subject),
    issuer: nameToString(d.issuer),
    issuerAttributes: d.issuer.flat(),
    serialNumber: serialHex(d.serial),
    notBefore: d.notBefore,
    notAfter: d.notAfter,
    dnsNames: [],
    ipAddresses: [],
    uris: [],
    emails: [],
    directoryNames: [],
    keyUsage: ext.keyUsage ?? [],
    hasKeyUsage: ext.keyUsage !== undefined,
    extendedKeyUsage: ext.extendedKeyUsage ?? [],
    hasExtendedKeyUsage: ext.extendedKeyUsage !== undefined,
    isCA: ext.basicConstraints?.ca ?? false,
    pathLength: ext.basicConstraints?.pathLength,
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    fingerprintSha256: '',
    fingerprintSha1: '',
    spkiSha256: '',
    publicKeyAlgorithm: d.publicKey.algorithm,
    publicKeySize: d.publicKey.size,
    publicKeyCurve: d.publicKey.curve,
    signatureAlgorithm: d.signatureAlgorithm.name,
    selfIssued: sameBytes(d.subjectDer, d.issuerDer),
    extensions: ext.raw.map((r) => ({ oid: r.oid, critical: r.critical })),
    version: d.version,
    pem: '',
    der: d.der,
  };
  // Hashes and PEM text cost more than the rest of parsing for big certificates: computed on
  // first read, still enumerable own properties (JSON, spread and util.inspect show them).
  lazy(info, 'fingerprintSha256', () => toColonHex(sha256(d.der)));
  lazy(info, 'fingerprintSha1', () => toColonHex(sha1(d.der)));
  lazy(info, 'spkiSha256', () => toBase64(sha256(d.spki)));
  lazy(info, 'pem', () => encodePem('CERTIFICATE', d.der));
  lazy(info, 'dnsNames', () => ext.subjectAltName?.dnsNames ?? []);
  lazy(info, 'ipAddresses', () => ext.subjectAltName?.ipAddresses ?? []);
  lazy(info, 'uris', () => ext.subjectAltName?.uris ?? []);
  lazy(info, 'emails', () => ext.subjectAltName?.emails ?? []);
  lazy(info, 'directoryNames', () => ext.subjectAltName?.directoryNames ?? []);
  decoded.set(info, d);
  return info;
}
