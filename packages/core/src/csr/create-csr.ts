import { MtlsError } from '../errors/mtls-error.js';
import { exportSpki } from '../keys/export-key.js';
import type { KeyPair } from '../keys/key-pair.js';
import { encodePem } from '../pem/pem-blocks.js';
import { ctx, oid, readSingle, seq, set, smallInteger } from '../x509/der.js';
import {
  encodeExtendedKeyUsage,
  encodeExtension,
  encodeGeneralNames,
  encodeKeyUsage,
} from '../x509/extensions.js';
import {
  encodeName,
  type NameAttribute,
  type SubjectFields,
  subjectFromObject,
  subjectFromString,
} from '../x509/name.js';
import { type KeyUsage, OID } from '../x509/oids.js';
import { signatureAlgorithmFor, signToBitString } from '../x509/sign.js';

export type { SubjectFields } from '../x509/name.js';

/** Options of {@link createCsr}. */
export interface CreateCsrOptions {
  /** The key pair whose public key is certified and whose private key signs the request. */
  key: KeyPair;
  /** An object (`{ commonName, organization, … }`) or an RFC 4514 string (`CN=agent-1,O=Example`). Default: empty. */
  subject?: SubjectFields | string;
  /** DNS name SANs. Default: none. */
  dnsNames?: readonly string[];
  /** IP address SANs (IPv4 or IPv6 literals). Default: none. */
  ipAddresses?: readonly string[];
  /** URI SANs; SPIFFE IDs (`spiffe://example.org/agent`) included. Default: none. */
  uris?: readonly string[];
  /** Email (rfc822Name) SANs. Default: none. */
  emails?: readonly string[];
  /** Requested extended key usages by name (`clientAuth`, `serverAuth`) or OID. Default: none requested. */
  extendedKeyUsage?: readonly string[];
  /** Requested key usages. Default: none requested. */
  keyUsage?: readonly KeyUsage[];
}

export function toRdns(subject: SubjectFields | string | undefined): NameAttribute[][] {
  if (subject === undefined) return [];
  if (typeof subject === 'string') return subjectFromString(subject);
  if (typeof subject !== 'object' || subject === null)
    throw new TypeError('subject must be an object or an RFC 4514 string');
  return subjectFromObject(subject);
}

/**
 * Creates a PKCS#10 certificate signing request, signed with `key`, as PEM
 * (`-----BEGIN CERTIFICATE REQUEST-----`, newline-terminated). Requested SANs and usages go
 * into an extensionRequest attribute. Invalid names throw a `TypeError`.
 *
 * @example
 * ```ts
 * const key = await generateKeyPair();
 * const csrPem = await createCsr({ key, subject: { commonName: 'agent-1' }, uris: ['spiffe://example.org/agent-1'] });
 * ```
 */
export async function createCsr(options: CreateCsrOptions): Promise<string> {
  if (!options || typeof options !== 'object' || !options.key?.privateKey) {
    throw new TypeError('createCsr needs { key } from generateKeyPair() or importPrivateKey()');
  }
  const rdns = toRdns(options.subject);
  const exts: Uint8Array[] = [];
  const san = encodeGeneralNames(options);
  if (san) exts.push(encodeExtension(OID.subjectAltName, rdns.length === 0, san));
  if (options.keyUsage?.length)
    exts.push(encodeExtension(OID.keyUsage, true, encodeKeyUsage(options.keyUsage)));
  if (options.extendedKeyUsage?.length) {
    exts.push(encodeExtension(OID.extKeyUsage, false, encodeExtendedKeyUsage(options.extendedKeyUsage)));
  }
  if (rdns.length === 0 && !san) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'A CSR needs a subject or at least one subject alternative name.',
    );
  }
  const spki = await exportSpki(options.key);
  const attributes = exts.length ? [seq(oid(OID.extensionRequest), set(seq(...exts)))] : [];
  const info = seq(smallInteger(0), encodeName(rdns), spki, ctx(0, true, ...attributes));
  const der = seq(info, signatureAlgorithmFor(options.key), await signToBitString(options.key, info));
  readSingle(der);
  return encodePem('CERTIFICATE REQUEST', der);
}
