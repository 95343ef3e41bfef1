import { type CertificateInfo, infoFromDecoded } from '../cert/parse-certificate.js';
import type { WebCryptoKey } from '../crypto/web-crypto-types.js';
import { toRdns } from '../csr/create-csr.js';
import { parseCsr } from '../csr/parse-csr.js';
import { MtlsError } from '../errors/mtls-error.js';
import { sha1 } from '../hash/sha.js';
import { exportPrivateKeyPem, exportSpki } from '../keys/export-key.js';
import { generateKeyPair } from '../keys/generate-key-pair.js';
import type { CryptoOptions, KeyAlgorithm, KeyPair } from '../keys/key-pair.js';
import { getCrypto } from '../lib/crypto-provider.js';
import { toDer } from '../pem/pem-blocks.js';
import { decodeCertificate } from '../x509/decode-certificate.js';
import {
  children,
  ctx,
  expectTag,
  readSingle,
  seq,
  smallInteger,
  TAG,
  time,
  unsignedInteger,
} from '../x509/der.js';
import {
  encodeAuthorityKeyId,
  encodeBasicConstraints,
  encodeExtendedKeyUsage,
  encodeExtension,
  encodeGeneralNames,
  encodeKeyId,
  encodeKeyUsage,
} from '../x509/extensions.js';
import { encodeName, type SubjectFields } from '../x509/name.js';
import { type KeyUsage, OID } from '../x509/oids.js';
import { signatureAlgorithmFor, signToBitString } from '../x509/sign.js';

const DAY = 86_400_000;

/** An extra extension to put in an issued certificate verbatim (for tests of unusual certificates). */
export interface RawExtensionInput {
  oid: string;
  critical?: boolean;
  /** The DER of the extension value (the contents of its OCTET STRING). */
  value: Uint8Array;
}

/** Options of {@link CertificateAuthority.issue}. */
export interface IssueOptions {
  /** A PEM CSR: its subject, SANs and public key are used unless given here too. Its signature must verify. Default: none. */
  csr?: string;
  /** Subject object or RFC 4514 string. Required without a CSR. */
  subject?: SubjectFields | string;
  /** The public key to certify: a key pair, a public CryptoKey or SPKI PEM. Default: the CSR's, else a new key. */
  publicKey?: KeyPair | WebCryptoKey | string;
  /** When neither `csr` nor `publicKey` is given, the CA generates a key of this type. Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  /** `'client'` (clientAuth, the default), `'server'` (serverAuth), `'both'`, or `'ca'` for an intermediate. */
  profile?: 'client' | 'server' | 'both' | 'ca';
  /** DNS name SANs. Default: the CSR's, else none. */
  dnsNames?: readonly string[];
  /** IP address SANs (IPv4 or IPv6 literals). Default: the CSR's, else none. */
  ipAddresses?: readonly string[];
  /** URI SANs such as SPIFFE IDs. Default: the CSR's, else none. */
  uris?: readonly string[];
  /** Email (rfc822Name) SANs. Default: the CSR's, else none. */
  emails?: readonly string[];
  /** Overrides the profile's extended key usages; `[]` omits the extension. */
  extendedKeyUsage?: readonly string[];
  /** Overrides the profile's key usages; `[]` omits the extension. */
  keyUsage?: readonly KeyUsage[];
  /** pathLenConstraint for `profile: 'ca'`. Default: none. */
  pathLength?: number;
  /** Default: now minus 60 s (so small clock skew does not make a fresh certificate "not yet valid"). */
  notBefore?: Date;
  /** Default: `notBefore` + `validityMs`. */
  notAfter?: Date;
  /** Lifetime when `notAfter` is not given. Default 24 h (1 year for `profile: 'ca'`). */
  validityMs?: number;
  /** Serial as hex; default a random positive 128-bit number. */
  serialNumber?: string;
  /** Extra extensions, verbatim. Default: none. */
  extensions?: readonly RawExtensionInput[];
  /** Signing key override (to make certificates with a wrong signature in tests). Default: the CA's key. */
  signWith?: KeyPair;
}

/** A certificate the CA issued. */
export interface IssuedCertificate {
  readonly certificate: CertificateInfo;
  /** The leaf as PEM. */
  readonly certificatePem: string;
  /** Leaf followed by this CA's chain up to, but not including, the root. */
  readonly chainPem: string;
  /** The generated key when the CA made one (no CSR or public key given). */
  readonly keyPair: KeyPair | undefined;
  /** PKCS#8 PEM of the generated key, when the CA made one. A secret: never log it. */
  readonly privateKeyPem: string | undefined;
}

/** Options of {@link createCertificateAuthority}. */
export interface CreateCertificateAuthorityOptions extends CryptoOptions {
  /** Default `{ commonName: 'mtlskit dev CA' }`. */
  subject?: SubjectFields | string;
  /** Lifetime of the CA certificate. Default 365 days. */
  validityMs?: number;
  /** The CA key; default a new key of `keyAlgorithm`. */
  key?: KeyPair;
  /** Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  /** pathLenConstraint of the root. Default: none. */
  pathLength?: number;
  /** Default: now minus 60 s. */
  notBefore?: Date;
  /** Default: `notBefore` + `validityMs`. */
  notAfter?: Date;
}

function randomSerial(crypto: CryptoOptions['crypto']): Uint8Array {
  const bytes = getCrypto(crypto).getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x40; // positive (top bit clear) and always 16 bytes long
  return bytes;
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new TypeError(`serialNumber must be hex, got "${hex}"`);
  return new Uint8Array(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
}

async function spkiOf(pk: KeyPair | WebCryptoKey | string): Promise<Uint8Array> {
  if (typeof pk === 'string') return toDer(pk, ['PUBLIC KEY'], 'public key').der;
  return exportSpki(pk);
}

/** SHA-1 of the subjectPublicKey bits: RFC 5280 §4.2.1.2 method 1, as OpenSSL does. */
function keyIdOf(spki: Uint8Array): Uint8Array {
  const [, bits] = children(expectTag(readSingle(spki), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  return sha1(expectTag(bits, TAG.BIT_STRING, 'subjectPublicKey').value.subarray(1));
}

/**
 * A small certificate authority for development and tests. Its private key stays inside:
 * `util.inspect` and `JSON.stringify` show only the certificate. Created with
 * {@link createCertificateAuthority}; {@link CertificateAuthority.createIntermediate}
 * returns another one.
 *
 * @example
 * ```ts
 * import { createCertificateAuthority } from '@mtlskit/core';
 * const root = await createCertificateAuthority({ subject: { commonName: 'Dev Root' } });
 * const issuing = await root.createIntermediate({ subject: { commonName: 'Dev Issuing CA' } });
 * const server = await issuing.issue({ profile: 'server', subject: { commonName: 'api' }, dnsNames: ['api.internal'] });
 * // server.chainPem: leaf + intermediate; trust root.certificatePem on the client side.
 * ```
 */
export class CertificateAuthority {
  /** The CA certificate. */
  readonly certificate: CertificateInfo;
  /** The CA certificate as PEM. */
  readonly certificatePem: string;
  /** This CA's certificate and its issuers up to, not including, the root (empty for a root). */
  readonly chainPem: string;
  readonly #key: KeyPair;
  readonly #keyId: Uint8Array;

  /** @internal use {@link createCertificateAuthority} or {@link CertificateAuthority.createIntermediate}. */
  constructor(certificate: CertificateInfo, key: KeyPair, chainPem: string) {
    this.certificate = certificate;
    this.certificatePem = certificate.pem;
    this.chainPem = chainPem;
    this.#key = key;
    this.#keyId = keyIdOf(decodeCertificate(certificate.der).spki);
  }

  /** The CA key pair (for signing your own test artefacts). */
  get keyPair(): KeyPair {
    return this.#key;
  }

  /** The CA private key as PKCS#8 PEM. A secret: write it 0600, never log it. */
  privateKeyPem(): Promise<string> {
    return exportPrivateKeyPem(this.#key);
  }

  toJSON(): { certificatePem: string } {
    return { certificatePem: this.certificatePem };
  }

  /**
   * Issues a certificate: a client (default), server or dual-use leaf, or an intermediate CA.
   *
   * @example
   * ```ts
   * const ca = await createCertificateAuthority({ subject: { commonName: 'Dev Root' } });
   * const server = await ca.issue({ profile: 'server', subject: { commonName: 'localhost' }, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
   * const client = await ca.issue({ csr: csrPem, validityMs: 60 * 60_000 });
   * ```
   */
  async issue(options: IssueOptions): Promise<IssuedCertificate> {
    const { der, keyPair } = await this.#sign(options);
    const certificate = infoFromDecoded(decodeCertificate(der));
    const chainPem = certificate.pem + this.chainPem;
    return {
      certificate,
      certificatePem: certificate.pem,
      chainPem,
      keyPair,
      privateKeyPem: keyPair ? await exportPrivateKeyPem(keyPair) : undefined,
    };
  }

  /**
   * Creates an intermediate CA signed by this CA.
   *
   * @example
   * ```ts
   * const intermediate = await root.createIntermediate({ subject: { commonName: 'Issuing CA' }, pathLength: 0 });
   * const leaf = await intermediate.issue({ subject: { commonName: 'agent-1' } }); // leaf.chainPem = leaf + intermediate
   * ```
   */
  async createIntermediate(
    options: Omit<IssueOptions, 'profile' | 'csr' | 'publicKey'> & { key?: KeyPair } = {},
  ): Promise<CertificateAuthority> {
    const key =
      options.key ??
      (await generateKeyPair({ algorithm: options.keyAlgorithm ?? 'ECDSA-P256', crypto: this.#key.crypto }));
    const issued = await this.issue({ ...options, profile: 'ca', publicKey: key });
    return new CertificateAuthority(issued.certificate, key, issued.chainPem);
  }

  async #sign(o: IssueOptions): Promise<{ der: Uint8Array; keyPair: KeyPair | undefined }> {
    if (!o || typeof o !== 'object') throw new TypeError('issue() needs options');
    const profile = o.profile ?? 'client';
    if (!['client', 'server', 'both', 'ca'].includes(profile))
      throw new TypeError(`unknown profile "${String(profile)}"`);
    let spki: Uint8Array;
    let keyPair: KeyPair | undefined;
    let csrNames: {
      subject?: string;
      dnsNames?: readonly string[];
      ipAddresses?: readonly string[];
      uris?: readonly string[];
      emails?: readonly string[];
    } = {};
    let subjectRdns = o.subject === undefined ? undefined : toRdns(o.subject);
    if (o.csr !== undefined) {
      const csr = await parseCsr(o.csr, { crypto: this.#key.crypto });
      if (!csr.signatureValid) {
        throw new MtlsError(
          'ERR_MTLS_CSR_SIGNATURE_INVALID',
          'The CSR signature does not verify: the request was altered or signed with another key.',
        );
      }
      spki = toDer(csr.publicKeyPem, ['PUBLIC KEY'], 'public key').der;
      csrNames = csr;
      subjectRdns ??= toRdns(csr.subject);
    } else if (o.publicKey !== undefined) {
      spki = await spkiOf(o.publicKey);
    } else {
      keyPair = await generateKeyPair({
        algorithm: o.keyAlgorithm ?? 'ECDSA-P256',
        crypto: this.#key.crypto,
      });
      spki = await exportSpki(keyPair);
    }
    subjectRdns ??= [];
    const san = encodeGeneralNames({
      dnsNames: o.dnsNames ?? csrNames.dnsNames,
      ipAddresses: o.ipAddresses ?? csrNames.ipAddresses,
      uris: o.uris ?? csrNames.uris,
      emails: o.emails ?? csrNames.emails,
    });
    if (subjectRdns.length === 0 && !san) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'A certificate needs a subject or at least one subject alternative name.',
      );
    }
    const isCA = profile === 'ca';
    const notBefore = o.notBefore ?? new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
    const validity = o.validityMs ?? (isCA ? 365 * DAY : DAY);
    if (!(validity > 0)) throw new RangeError('validityMs must be a positive number of milliseconds');
    const notAfter = o.notAfter ?? new Date(notBefore.getTime() + validity);
    const rsa = spki.length > 200; // an RSA SPKI; EC and Ed25519 ones are far shorter
    const keyUsage =
      o.keyUsage ??
      (isCA
        ? (['keyCertSign', 'cRLSign'] as KeyUsage[])
        : rsa
          ? (['digitalSignature', 'keyEncipherment'] as KeyUsage[])
          : (['digitalSignature'] as KeyUsage[]));
    const eku =
      o.extendedKeyUsage ??
      (isCA
        ? []
        : profile === 'client'
          ? ['clientAuth']
          : profile === 'server'
            ? ['serverAuth']
            : ['serverAuth', 'clientAuth']);
    const exts: Uint8Array[] = [
      encodeExtension(
        OID.basicConstraints,
        true,
        encodeBasicConstraints(isCA, isCA ? o.pathLength : undefined),
      ),
    ];
    if (keyUsage.length) exts.push(encodeExtension(OID.keyUsage, true, encodeKeyUsage(keyUsage)));
    if (eku.length) exts.push(encodeExtension(OID.extKeyUsage, false, encodeExtendedKeyUsage(eku)));
    exts.push(encodeExtension(OID.subjectKeyIdentifier, false, encodeKeyId(keyIdOf(spki))));
    exts.push(encodeExtension(OID.authorityKeyIdentifier, false, encodeAuthorityKeyId(this.#keyId)));
    // RFC 5280 §4.2.1.6: the SAN is critical when the subject is empty.
    if (san) exts.push(encodeExtension(OID.subjectAltName, subjectRdns.length === 0, san));
    for (const e of o.extensions ?? []) exts.push(encodeExtension(e.oid, e.critical ?? false, e.value));
    const signer = o.signWith ?? this.#key;
    const der = await signCertificate(signer, {
      serial: o.serialNumber ? hexToBytes(o.serialNumber) : randomSerial(this.#key.crypto),
      issuerDer: decodeCertificate(this.certificate.der).subjectDer,
      subjectDer: encodeName(subjectRdns),
      notBefore,
      notAfter,
      spki,
      extensions: exts,
    });
    return { der, keyPair };
  }
}

interface TbsInput {
  serial: Uint8Array;
  issuerDer: Uint8Array | undefined;
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Uint8Array[];
}

async function signCertificate(key: KeyPair, t: TbsInput): Promise<Uint8Array> {
  if (!(t.notAfter.getTime() > t.notBefore.getTime()))
    throw new RangeError('notAfter must be after notBefore');
  const alg = signatureAlgorithmFor(key);
  const tbs = seq(
    ctx(0, true, smallInteger(2)),
    unsignedInteger(t.serial),
    alg,
    t.issuerDer ?? t.subjectDer,
    seq(time(t.notBefore), time(t.notAfter)),
    t.subjectDer,
    t.spki,
    ctx(3, true, seq(...t.extensions)),
  );
  return seq(tbs, alg, await signToBitString(key, tbs));
}

/**
 * Creates a self-signed root CA for development and tests.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ subject: { commonName: 'Dev Root', organization: 'Example' } });
 * const client = await ca.issue({ subject: { commonName: 'agent-1' } }); // clientAuth, 24 h, new P-256 key
 * console.log(ca.certificatePem, client.certificatePem);
 * ```
 */
export async function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions = {},
): Promise<CertificateAuthority> {
  const key =
    options.key ??
    (await generateKeyPair({ algorithm: options.keyAlgorithm ?? 'ECDSA-P256', crypto: options.crypto }));
  const spki = await exportSpki(key);
  const rdns = toRdns(options.subject ?? { commonName: 'mtlskit dev CA' });
  if (rdns.length === 0) throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', 'A CA needs a non-empty subject.');
  const notBefore = options.notBefore ?? new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
  const validity = options.validityMs ?? 365 * DAY;
  if (!(validity > 0)) throw new RangeError('validityMs must be a positive number of milliseconds');
  const keyId = keyIdOf(spki);
  const der = await signCertificate(key, {
    serial: randomSerial(key.crypto),
    issuerDer: undefined,
    subjectDer: encodeName(rdns),
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + validity),
    spki,
    extensions: [
      encodeExtension(OID.basicConstraints, true, encodeBasicConstraints(true, options.pathLength)),
      encodeExtension(OID.keyUsage, true, encodeKeyUsage(['keyCertSign', 'cRLSign'])),
      encodeExtension(OID.subjectKeyIdentifier, false, encodeKeyId(keyId)),
      encodeExtension(OID.authorityKeyIdentifier, false, encodeAuthorityKeyId(keyId)),
    ],
  });
  return new CertificateAuthority(infoFromDecoded(decodeCertificate(der)), key, '');
}
