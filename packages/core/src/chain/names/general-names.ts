import { children, DerError, type DerNode, expectTag, readSingle, TAG } from '../../x509/der.js';
import { indexGeneralNames, latin1At } from '../../x509/general-names-scan.js';
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

// Byte classes of the preferred name syntax (RFC 5280 §4.2.1.6, BR 7.1.4.2) for ASCII:
// 1 letter or digit, 2 hyphen, 3 dot, 0 anything else.
const LDH_CLASS = new Uint8Array(128);
for (let b = 0x30; b <= 0x39; b++) LDH_CLASS[b] = 1;
for (let b = 0x41; b <= 0x5a; b++) LDH_CLASS[b] = 1;
for (let b = 0x61; b <= 0x7a; b++) LDH_CLASS[b] = 1;
LDH_CLASS[0x2d] = 2;
LDH_CLASS[0x2e] = 3;

/** Throws unless `buf[from, end)` is 7-bit (IA5String); returns false for the caller's convenience. */
function ia5Rest(buf: Uint8Array, from: number, end: number): false {
  for (let i = from; i < end; i++) if (buf[i]! > 0x7f) throw new DerError('IA5String holds a non-ASCII byte');
  return false;
}

/**
 * Whether the dNSName `buf[start, end)` is in preferred name syntax (LDH labels of 1–63
 * bytes, no empty label, ≤ 253 bytes; `*` only as the whole left-most label of a longer
 * name). Throws on a non-ASCII byte (not an IA5String). One pass over the bytes: a
 * certificate may carry 100,000 of them.
 */
function dnsNameSyntaxOk(buf: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0 || len > 253) return ia5Rest(buf, start, end);
  let i = start;
  if (buf[i] === 0x2a) {
    if (len < 3 || buf[i + 1] !== 0x2e) return ia5Rest(buf, start, end);
    i += 2;
  }
  let label = i;
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b > 0x7f) throw new DerError('IA5String holds a non-ASCII byte');
    const c = LDH_CLASS[b]!;
    if (c === 1) continue;
    if (c === 2) {
      if (i === label) return ia5Rest(buf, i, end);
      continue;
    }
    if (c === 3 && i > label && i - label <= 63 && buf[i - 1] !== 0x2d) {
      label = i + 1;
      continue;
    }
    return ia5Rest(buf, i, end);
  }
  return end > label && end - label <= 63 && buf[end - 1] !== 0x2d;
}

// The quick test below reads each byte once through a table indexed by the previous byte's
// class and the byte: class (0 letter/digit, 1 hyphen, 2 dot or name start, 3 other) plus
// bit 4 when the pair breaks a rule (a label starting with '-' or '.', '-' before '.').
const PAIR = new Uint8Array(4 * 256);
for (let prev = 0; prev < 4; prev++) {
  for (let b = 0; b < 256; b++) {
    const c = b < 0x80 && LDH_CLASS[b] ? LDH_CLASS[b]! - 1 : 3;
    const broken = c === 3 || (prev === 2 && c !== 0) || (prev === 1 && c === 2);
    PAIR[(prev << 8) | b] = c | (broken ? 4 : 0);
  }
}

/**
 * True only for a dNSName that {@link dnsNameSyntaxOk} accepts: names of at most 63 bytes
 * (no label can be too long) made of letters, digits, inner hyphens and single dots. Any
 * other name gets false and goes to the exact check, which also tells non-ASCII apart.
 */
function dnsNameQuickOk(buf: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0 || len > 63) return false;
  let i = start;
  if (buf[i] === 0x2a) {
    if (len < 3 || buf[i + 1] !== 0x2e) return false;
    i += 2;
  }
  let prev = 2;
  let seen = 0;
  for (; i < end; i++) {
    const c = PAIR[(prev << 8) | buf[i]!]!;
    seen |= c;
    prev = c & 3;
  }
  return (seen & 4) === 0 && prev === 0;
}

/** What {@link summarizeGeneralNames} finds in a GeneralNames value. */
export interface GeneralNamesSummary {
  /** An iPAddress entry is not 4 or 16 bytes long. */
  badIpLength: boolean;
  /** The first dNSName not in preferred name syntax (for the webpki profile), if any. */
  badDnsName: string | undefined;
}

/**
 * Checks a GeneralNames value as parseGeneralNamesRaw would (same errors) without making
 * objects: IP address lengths, IA5String contents and the dNSName syntax, one pass over
 * the entries.
 */
export function summarizeGeneralNames(value: Uint8Array): GeneralNamesSummary {
  const index = indexGeneralNames(value);
  const { count, tags, starts, ends } = index;
  if (count === 0) throw new DerError('GeneralNames must not be empty');
  let badIpLength = false;
  let badDnsName: string | undefined;
  // When the kernel made the index, the entries it did not list are plain dNSNames.
  const { odd } = index;
  const n = odd ? odd.length : count;
  for (let i = 0; i < n; i++) {
    const k = odd ? odd[i]! : i;
    const start = starts[k]!;
    const end = ends[k]!;
    switch (tags[k]) {
      case 0x82:
        if (
          !dnsNameQuickOk(value, start, end) &&
          !dnsNameSyntaxOk(value, start, end) &&
          badDnsName === undefined
        )
          badDnsName = latin1At(value, start, end);
        break;
      case 0x81:
      case 0x86:
        ia5Rest(value, start, end);
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
        throw new DerError(`unknown GeneralName tag 0x${tags[k]!.toString(16)}`);
    }
  }
  return { badIpLength, badDnsName };
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
