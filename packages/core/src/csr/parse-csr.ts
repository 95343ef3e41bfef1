import { MtlsError } from '../errors/mtls-error.js';
import { sha256, toBase64 } from '../hash/sha.js';
import type { CryptoOptions } from '../keys/key-pair.js';
import { getCrypto } from '../lib/crypto-provider.js';
import { encodePem, toDer } from '../pem/pem-blocks.js';
import {
  checkAny,
  children,
  DerError,
  decodeBitString,
  decodeOid,
  decodeSmallInt,
  expectTag,
  readSingle,
  TAG,
} from '../x509/der.js';
import { parseExtensionList, parseKnownExtensions } from '../x509/extensions.js';
import { commonNameOf, type NameAttribute, nameToString, parseName } from '../x509/name.js';
import { type KeyUsage, OID } from '../x509/oids.js';
import { parseSignatureAlgorithm, spkiFacts, verifySignature } from '../x509/signature.js';

/** What mtlskit reads from a PKCS#10 certificate signing request. */
export interface CsrInfo {
  readonly subject: string;
  readonly subjectAttributes: readonly NameAttribute[];
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
  readonly emails: readonly string[];
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage: readonly string[];
  readonly publicKeyAlgorithm: string;
  readonly publicKeySize: number;
  readonly publicKeyCurve: string | undefined;
  /** base64 SHA-256 of the SubjectPublicKeyInfo. */
  readonly spkiSha256: string;
  /** The requested public key as SPKI PEM. */
  readonly publicKeyPem: string;
  readonly signatureAlgorithm: string;
  /** Whether the request's self-signature verifies with its own public key (proof of possession). */
  readonly signatureValid: boolean;
  readonly pem: string;
  readonly der: Uint8Array;
}

/**
 * Parses a PKCS#10 CSR (PEM `CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`, or DER) and
 * checks its self-signature. Malformed input gives `ERR_MTLS_CSR_MALFORMED` (or a PEM code).
 *
 * @example
 * ```ts
 * const csr = await parseCsr(csrPem);
 * if (!csr.signatureValid) throw new Error('CSR signature does not verify');
 * ```
 */
export async function parseCsr(pemOrDer: string | Uint8Array, options: CryptoOptions = {}): Promise<CsrInfo> {
  const block = toDer(
    pemOrDer,
    ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'],
    'certificate signing request',
  );
  // Our own copy: the signature is checked after an await, and the caller's buffer may change.
  const der = block.der === pemOrDer ? new Uint8Array(block.der) : block.der;
  try {
    const [infoNode, algNode, sigNode, extra] = children(
      expectTag(readSingle(der), TAG.SEQUENCE, 'CertificationRequest'),
    );
    if (extra) throw new DerError('CertificationRequest has trailing fields');
    const info = expectTag(infoNode, TAG.SEQUENCE, 'CertificationRequestInfo');
    const infoParts = children(info);
    if (infoParts.length < 3 || infoParts.length > 4)
      throw new DerError('CertificationRequestInfo must hold version, subject, key and attributes');
    const [version, subjectNode, spkiNode, attrsNode] = infoParts;
    if (decodeSmallInt(expectTag(version, TAG.INTEGER, 'version')) !== 0)
      throw new DerError('CSR version must be 1');
    const subject = parseName(expectTag(subjectNode, TAG.SEQUENCE, 'subject'));
    const spki = expectTag(spkiNode, TAG.SEQUENCE, 'subjectPublicKeyInfo');
    const facts = spkiFacts(spki);
    let ext = parseKnownExtensions([]);
    if (attrsNode) {
      expectTag(attrsNode, 0xa0, 'attributes');
      for (const attr of children(attrsNode)) {
        const [t, values, extra] = children(expectTag(attr, TAG.SEQUENCE, 'Attribute'));
        if (extra) throw new DerError('Attribute has trailing elements');
        const type = decodeOid(expectTag(t, TAG.OID, 'attribute type').value);
        const all = children(expectTag(values, TAG.SET, 'attribute values'));
        if (all.length === 0) throw new DerError('Attribute without values');
        for (const v of all) checkAny(v);
        if (type !== OID.extensionRequest) continue;
        if (all.length !== 1) throw new DerError('extensionRequest must have exactly one value');
        const first = all[0];
        ext = parseKnownExtensions(parseExtensionList(expectTag(first, TAG.SEQUENCE, 'extensionRequest')));
      }
    }
    const alg = parseSignatureAlgorithm(expectTag(algNode, TAG.SEQUENCE, 'signatureAlgorithm'));
    const sig = decodeBitString(expectTag(sigNode, TAG.BIT_STRING, 'signature')).bytes;
    const result = await verifySignature(getCrypto(options.crypto), spki.bytes, alg, info.bytes, sig);
    const san = ext.subjectAltName;
    return {
      subject: nameToString(subject),
      subjectAttributes: subject.flat(),
      commonName: commonNameOf(subject),
      dnsNames: san?.dnsNames ?? [],
      ipAddresses: san?.ipAddresses ?? [],
      uris: san?.uris ?? [],
      emails: san?.emails ?? [],
      keyUsage: ext.keyUsage ?? [],
      extendedKeyUsage: ext.extendedKeyUsage ?? [],
      publicKeyAlgorithm: facts.algorithm,
      publicKeySize: facts.size,
      publicKeyCurve: facts.curve,
      spkiSha256: toBase64(sha256(spki.bytes)),
      publicKeyPem: encodePem('PUBLIC KEY', spki.bytes),
      signatureAlgorithm: alg.name,
      signatureValid: result === 'valid',
      pem: encodePem('CERTIFICATE REQUEST', der),
      der,
    };
  } catch (e) {
    if (e instanceof MtlsError && !(e instanceof DerError)) throw e;
    const why = e instanceof DerError ? e.message : 'unreadable structure';
    throw new MtlsError(
      'ERR_MTLS_CSR_MALFORMED',
      `The certificate signing request is not valid DER (${why}); create it again.`,
      {
        cause: e,
      },
    );
  }
}
