import { children, DerError, type DerNode, expectTag, readSingle, TAG } from '../../x509/der.js';
import { scanGeneralNames } from '../../x509/general-names-scan.js';
import { type NameAttribute, parseName } from '../../x509/name.js';

/** One GeneralName (RFC 5280 §4.2.1.6) with the raw form a verifier needs. */
export type GeneralName =
  | { kind: 'dns'; value: string }
  | { kind: 'ip'; bytes: Uint8Array }
  | { kind: 'email'; value: string }
  | { kind: 'uri'; value: string }
  | { kind: 'dn'; rdns: NameAttribute[][] }
  /** otherName, x400Address, ediPartyName, registeredID: forms mtlskit does not interpret. */
  | { kind: 'other'; tag: number };

function ia5(node: DerNode): string {
  let s = '';
  for (const b of node.value) {
    // IA5String is 7-bit; a byte above 0x7f is an encoding error, not a name.
    if (b > 0x7f) throw new DerError('IA5String holds a non-ASCII byte');
    s += String.fromCharCode(b);
  }
  return s;
}

/** Parses one GeneralName node (context tags 0–8). */
export function parseGeneralName(node: DerNode): GeneralName {
  switch (node.tag) {
    case 0x82:
      return { kind: 'dns', value: ia5(node) };
    case 0x87:
      return { kind: 'ip', bytes: node.value };
    case 0x81:
      return { kind: 'email', value: ia5(node) };
    case 0x86:
      return { kind: 'uri', value: ia5(node) };
    case 0xa4: {
      const inner = children(node);
      if (inner.length !== 1) throw new DerError('directoryName must hold one Name');
      return { kind: 'dn', rdns: parseName(expectTag(inner[0], TAG.SEQUENCE, 'directoryName')) };
    }
    case 0xa0:
    case 0xa3:
    case 0xa5:
    case 0x88:
      return { kind: 'other', tag: node.tag };
    default:
      throw new DerError(`unknown GeneralName tag 0x${node.tag.toString(16)}`);
  }
}

/**
 * Checks a GeneralNames value as parseGeneralNamesRaw would (same errors) without making
 * objects, and says whether an IP address entry has a length other than 4 or 16.
 */
export function checkGeneralNamesRaw(value: Uint8Array): { badIpLength: boolean } {
  let badIpLength = false;
  // Most SANs are pure ASCII: then no IA5String in them can hold a non-ASCII byte.
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const n = scanGeneralNames(value, (tag, start, end) => {
    switch (tag) {
      case 0x82:
      case 0x81:
      case 0x86:
        if (!ascii)
          for (let i = start; i < end; i++)
            if (value[i]! > 0x7f) throw new DerError('IA5String holds a non-ASCII byte');
        break;
      case 0x87:
        if (end - start !== 4 && end - start !== 16) badIpLength = true;
        break;
      case 0xa4: {
        const inner = children(value.subarray(start, end));
        if (inner.length !== 1) throw new DerError('directoryName must hold one Name');
        parseName(expectTag(inner[0], TAG.SEQUENCE, 'directoryName'));
        break;
      }
      case 0xa0:
      case 0xa3:
      case 0xa5:
      case 0x88:
        break;
      default:
        throw new DerError(`unknown GeneralName tag 0x${tag.toString(16)}`);
    }
  });
  if (n === 0) throw new DerError('GeneralNames must not be empty');
  return { badIpLength };
}

/** Parses the value of a subjectAltName (or any GeneralNames) extension. */
export function parseGeneralNamesRaw(value: Uint8Array): GeneralName[] {
  const seq = expectTag(readSingle(value), TAG.SEQUENCE, 'GeneralNames');
  const names = children(seq).map(parseGeneralName);
  if (names.length === 0) throw new DerError('GeneralNames must not be empty');
  return names;
}

const normValue = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();

/** RFC 5280 §7.1 name comparison, approximated: case-folded, whitespace-collapsed, RDNs unordered inside. */
export function nameKey(rdns: NameAttribute[][]): string {
  return rdns
    .map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${normValue(a.value)}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
