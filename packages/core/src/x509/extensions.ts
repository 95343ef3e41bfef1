import { toHex } from '../hash/sha.js';
import {
  bitString,
  boolean,
  children,
  ctx,
  DerError,
  type DerNode,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallInt,
  expectTag,
  octetString,
  oid,
  readSingle,
  seq,
  seqOf,
  smallInteger,
  TAG,
} from './der.js';
import { indexGeneralNames, latin1At, scanGeneralNames } from './general-names-scan.js';
import { formatIp, parseIp } from './ip-address.js';
import { nameToString, parseName } from './name.js';
import { EKU_NAMES, ekuToOid, KEY_USAGE_BITS, type KeyUsage, OID } from './oids.js';

/** A raw extension as found in a certificate or CSR. */
export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface GeneralNames {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emails: string[];
  directoryNames: string[];
  otherNames: string[];
}

export interface ParsedExtensions {
  raw: RawExtension[];
  basicConstraints?: { ca: boolean; pathLength: number | undefined };
  keyUsage?: KeyUsage[];
  extendedKeyUsage?: string[];
  subjectAltName?: GeneralNames;
  /** The SAN extension's value (a DER GeneralNames), for scanning without strings. */
  subjectAltNameDer?: Uint8Array;
  subjectKeyId?: string;
  authorityKeyId?: string;
}

export function parseExtensionList(node: DerNode): RawExtension[] {
  const seen = new Set<string>();
  return children(expectTag(node, TAG.SEQUENCE, 'Extensions')).map((ext) => {
    const parts = children(expectTag(ext, TAG.SEQUENCE, 'Extension'));
    const o = decodeOid(expectTag(parts[0], TAG.OID, 'extension id').value);
    let critical = false;
    let idx = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      critical = decodeBoolean(parts[1]);
      idx = 2;
    }
    const value = expectTag(parts[idx], TAG.OCTET_STRING, 'extension value').value;
    if (parts.length > idx + 1) throw new DerError('extension has trailing fields');
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(o)) throw new DerError(`extension ${o} appears twice`);
    seen.add(o);
    return { oid: o, critical, value };
  });
}

export function emptyGeneralNames(): GeneralNames {
  return { dnsNames: [], ipAddresses: [], uris: [], emails: [], directoryNames: [], otherNames: [] };
}

/** Checks a GeneralNames value (SAN extension contents) without making strings. */
function validateGeneralNames(value: Uint8Array): void {
  const { count, tags, starts, ends, odd } = indexGeneralNames(value);
  // A constructed entry is never a plain dNSName: the kernel's list of the others has them all.
  const n = odd ? odd.length : count;
  for (let i = 0; i < n; i++) {
    const k = odd ? odd[i]! : i;
    const tag = tags[k];
    // Only the constructed forms need more than framing: most entries skip the body.
    if (tag !== 0xa4 && tag !== 0xa0) continue;
    const body = value.subarray(starts[k], ends[k]);
    if (tag === 0xa4) {
      const inner = children(body);
      if (inner.length !== 1) throw new DerError('directoryName must hold one Name');
      parseName(expectTag(inner[0], TAG.SEQUENCE, 'directoryName'));
    } else {
      decodeOid(expectTag(children(body)[0], TAG.OID, 'otherName type').value);
    }
  }
}

/** The names of a (validated) GeneralNames value, as strings. */
export function parseGeneralNames(value: Uint8Array): GeneralNames {
  const out = emptyGeneralNames();
  scanGeneralNames(value, (tag, start, end) => {
    switch (tag) {
      case 0x82:
        out.dnsNames.push(latin1At(value, start, end));
        break;
      case 0x87:
        out.ipAddresses.push(formatIp(value.subarray(start, end)));
        break;
      case 0x86:
        out.uris.push(latin1At(value, start, end));
        break;
      case 0x81:
        out.emails.push(latin1At(value, start, end));
        break;
      case 0xa4: {
        const inner = children(value.subarray(start, end));
        out.directoryNames.push(nameToString(parseName(expectTag(inner[0], TAG.SEQUENCE, 'directoryName'))));
        break;
      }
      case 0xa0: {
        const inner = children(value.subarray(start, end));
        out.otherNames.push(decodeOid(expectTag(inner[0], TAG.OID, 'otherName type').value));
        break;
      }
      default:
        // x400Address, ediPartyName, registeredID: kept out of the lists mtlskit matches on.
        break;
    }
  });
  return out;
}

const KNOWN_EXTENSION_OIDS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

export function parseKnownExtensions(raw: RawExtension[]): ParsedExtensions {
  const out: ParsedExtensions = { raw };
  for (const ext of raw) {
    // Values of extensions mtlskit does not interpret are left alone (they may be empty).
    if (!KNOWN_EXTENSION_OIDS.has(ext.oid)) continue;
    const node = readSingle(ext.value);
    switch (ext.oid) {
      case OID.basicConstraints: {
        const parts = children(expectTag(node, TAG.SEQUENCE, 'basicConstraints'));
        let ca = false;
        let pathLength: number | undefined;
        // SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }, in order.
        let k = 0;
        if (parts[k]?.tag === TAG.BOOLEAN) ca = decodeBoolean(parts[k++]!);
        if (parts[k]?.tag === TAG.INTEGER) pathLength = decodeSmallInt(parts[k++]!);
        if (k !== parts.length) throw new DerError('basicConstraints malformed');
        out.basicConstraints = { ca, pathLength };
        break;
      }
      case OID.keyUsage: {
        const { bytes } = decodeBitString(node);
        const usages: KeyUsage[] = [];
        KEY_USAGE_BITS.forEach((name, bit) => {
          const byte = bytes[bit >> 3];
          if (byte !== undefined && byte & (0x80 >> (bit & 7))) usages.push(name);
        });
        out.keyUsage = usages;
        break;
      }
      case OID.extKeyUsage:
        out.extendedKeyUsage = children(expectTag(node, TAG.SEQUENCE, 'extKeyUsage')).map((n) => {
          const o = decodeOid(expectTag(n, TAG.OID, 'key purpose').value);
          return EKU_NAMES[o] ?? o;
        });
        break;
      case OID.subjectAltName: {
        // Checked now, turned into strings on first read (100,000 SANs cost nothing unread).
        validateGeneralNames(ext.value);
        let names: GeneralNames | undefined;
        Object.defineProperty(out, 'subjectAltName', {
          enumerable: true,
          get: () => {
            names ??= parseGeneralNames(ext.value);
            return names;
          },
        });
        out.subjectAltNameDer = ext.value;
        break;
      }
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = toHex(expectTag(node, TAG.OCTET_STRING, 'subjectKeyIdentifier').value);
        break;
      case OID.authorityKeyIdentifier: {
        for (const p of children(expectTag(node, TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
          if (p.tag === 0x80) out.authorityKeyId = toHex(p.value);
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- encoding

export interface SanInput {
  dnsNames?: readonly string[] | undefined;
  ipAddresses?: readonly string[] | undefined;
  uris?: readonly string[] | undefined;
  emails?: readonly string[] | undefined;
}

const enc = new TextEncoder();

export function encodeGeneralNames(san: SanInput): Uint8Array | undefined {
  const items: Uint8Array[] = [];
  for (const d of san.dnsNames ?? []) {
    if (typeof d !== 'string' || !/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(d) || d.length > 253) {
      throw new TypeError(`invalid DNS name "${String(d)}"`);
    }
    items.push(ctx(2, false, enc.encode(d)));
  }
  for (const ip of san.ipAddresses ?? []) {
    const bytes = typeof ip === 'string' ? parseIp(ip) : undefined;
    if (!bytes) throw new TypeError(`invalid IP address "${String(ip)}"`);
    items.push(ctx(7, false, bytes));
  }
  for (const u of san.uris ?? []) {
    // SPIFFE IDs are URIs (spiffe://trust-domain/path) and pass through here as they are.
    if (typeof u !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(u))
      throw new TypeError(`invalid URI "${String(u)}"`);
    items.push(ctx(6, false, enc.encode(u)));
  }
  for (const e of san.emails ?? []) {
    if (typeof e !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(e))
      throw new TypeError(`invalid email address "${String(e)}"`);
    items.push(ctx(1, false, enc.encode(e)));
  }
  return items.length ? seqOf(items) : undefined;
}

export function encodeExtension(extOid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? seq(oid(extOid), boolean(true), octetString(value))
    : seq(oid(extOid), octetString(value));
}

export function encodeKeyUsage(usages: readonly KeyUsage[]): Uint8Array {
  let max = -1;
  const bits = new Uint8Array(2);
  for (const u of usages) {
    const bit = KEY_USAGE_BITS.indexOf(u);
    if (bit < 0) throw new TypeError(`unknown key usage "${u}"; known: ${KEY_USAGE_BITS.join(', ')}`);
    bits[bit >> 3]! |= 0x80 >> (bit & 7);
    max = Math.max(max, bit);
  }
  if (max < 0) throw new TypeError('keyUsage must name at least one usage');
  const len = (max >> 3) + 1;
  const used = bits.subarray(0, len);
  // DER: trailing zero bits are dropped and counted as unused.
  let unused = 0;
  const last = used[len - 1]!;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return bitString(used, unused);
}

export function encodeExtendedKeyUsage(usages: readonly string[]): Uint8Array {
  if (usages.length === 0) throw new TypeError('extendedKeyUsage must name at least one purpose');
  return seq(...usages.map((u) => oid(ekuToOid(u))));
}

export function encodeBasicConstraints(ca: boolean, pathLength?: number): Uint8Array {
  const parts: Uint8Array[] = [];
  if (ca) parts.push(boolean(true));
  if (ca && pathLength !== undefined) parts.push(smallInteger(pathLength));
  return seq(...parts);
}

export function encodeKeyId(id: Uint8Array): Uint8Array {
  return octetString(id);
}

export function encodeAuthorityKeyId(id: Uint8Array): Uint8Array {
  return seq(ctx(0, false, id));
}
