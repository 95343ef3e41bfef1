import { MtlsError } from '../errors/mtls-error.js';

/** One decoded DER element. `bytes` is the whole TLV, `value` the contents. */
export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number; only low tag numbers). */
  tag: number;
  /** Offset of the element in the original buffer. */
  start: number;
  /** The whole encoding (tag, length and contents), a view into the input. */
  bytes: Uint8Array;
  /** The contents, a view into the input. */
  value: Uint8Array;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Thrown for any structural DER problem; callers turn it into their own coded error. */
export class DerError extends MtlsError {
  constructor(message: string) {
    super('ERR_MTLS_DER_MALFORMED', message);
  }
}

/** Reads one element at `offset` of `buf`, strictly (definite, minimal lengths only). */
export function readNode(buf: Uint8Array, offset = 0, end = buf.length): DerNode {
  const stop = elementEnd(buf, offset, end);
  return {
    tag: buf[offset]!,
    start: offset,
    bytes: buf.subarray(offset, stop),
    value: buf.subarray(contentStart(buf, offset), stop),
  };
}

/**
 * The end of the element at `offset`, checked as strictly as {@link readNode} checks it
 * (low tag number, definite minimal length, inside `end`), without making an object: for
 * loops over very many elements.
 */
export function elementEnd(buf: Uint8Array, offset = 0, end = buf.length): number {
  if (offset + 2 > end) throw new DerError('DER element truncated');
  if ((buf[offset]! & 0x1f) === 0x1f) throw new DerError('DER high tag numbers are not supported');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('DER length form not supported');
    if (pos + n > end) throw new DerError('DER length truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    if (len < 0x80 || (n > 1 && buf[pos] === 0)) throw new DerError('DER length not minimal');
    pos += n;
  }
  if (pos + len > end) throw new DerError('DER element longer than its container');
  return pos + len;
}

/** Where the contents of the element at `offset` start (its header checked by {@link elementEnd}). */
export function contentStart(buf: Uint8Array, offset: number): number {
  const first = buf[offset + 1]!;
  return first & 0x80 ? offset + 2 + (first & 0x7f) : offset + 2;
}

/** Reads every element inside a constructed node (or a whole buffer). */
export function children(node: DerNode | Uint8Array): DerNode[] {
  const buf = node instanceof Uint8Array ? node : node.value;
  const out: DerNode[] = [];
  let off = 0;
  while (off < buf.length) {
    const child = readNode(buf, off);
    out.push(child);
    off += child.bytes.length;
  }
  return out;
}

/** Reads a single top-level element that must fill `buf` exactly. */
export function readSingle(buf: Uint8Array): DerNode {
  const node = readNode(buf, 0);
  if (node.bytes.length !== buf.length) throw new DerError('trailing bytes after DER element');
  return node;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError(`${what} missing`);
  if (node.tag !== tag) throw new DerError(`${what}: unexpected tag 0x${node.tag.toString(16)}`);
  return node;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0 || value.length > 64) throw new DerError('OID length invalid');
  const parts: number[] = [];
  let acc = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (acc === 0 && b === 0x80) throw new DerError('OID not minimally encoded');
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = acc < 80 ? Math.floor(acc / 40) : 2;
        parts.push(first, acc - first * 40);
      } else parts.push(acc);
      acc = 0;
    } else if (i === value.length - 1) throw new DerError('OID truncated');
  }
  return parts.join('.');
}

export function decodeBoolean(node: DerNode): boolean {
  // DER (X.690 §11.1): TRUE is 0xFF, FALSE 0x00; nothing else.
  if (node.tag !== TAG.BOOLEAN || node.value.length !== 1 || (node.value[0] !== 0 && node.value[0] !== 0xff))
    throw new DerError('BOOLEAN malformed');
  return node.value[0] === 0xff;
}

/** The contents of an INTEGER, checked to be minimally encoded (X.690 §8.3.2). */
export function integerBytes(node: DerNode, what = 'INTEGER'): Uint8Array {
  if (node.tag !== TAG.INTEGER) throw new DerError(`${what}: unexpected tag 0x${node.tag.toString(16)}`);
  const v = node.value;
  if (v.length === 0) throw new DerError(`${what} is empty`);
  if (v.length > 1 && ((v[0] === 0 && !(v[1]! & 0x80)) || (v[0] === 0xff && v[1]! & 0x80)))
    throw new DerError(`${what} is not minimally encoded`);
  return v;
}

/** A small non-negative INTEGER (lengths, path lengths, versions). */
export function decodeSmallInt(node: DerNode): number {
  const v = integerBytes(node);
  if (v.length > 6) throw new DerError('INTEGER malformed or too large');
  if (v[0]! & 0x80) throw new DerError('negative INTEGER where a count is expected');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** NULL, which has no contents. */
export function expectNull(node: DerNode | undefined, what: string): void {
  if (expectTag(node, TAG.NULL, what).value.length !== 0) throw new DerError(`${what}: NULL with contents`);
}

/** BIT STRING contents without the unused-bits octet, plus the unused-bit count. */
export function decodeBitString(node: DerNode): { bytes: Uint8Array; unused: number } {
  if (node.tag !== TAG.BIT_STRING || node.value.length === 0) throw new DerError('BIT STRING malformed');
  const unused = node.value[0]!;
  if (unused > 7 || (unused > 0 && node.value.length === 1)) throw new DerError('BIT STRING malformed');
  return { bytes: node.value.subarray(1), unused };
}

const latin1 = (v: Uint8Array) => {
  let s = '';
  for (const b of v) s += String.fromCharCode(b);
  return s;
};
const utf8 = new TextDecoder('utf-8', { fatal: true });
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/**
 * Decodes the directory string types used in names to a JS string. Invalid UTF-8, BMP or
 * Universal encodings and non-string types throw: never silently turned into U+FFFD.
 */
export function decodeString(node: DerNode): string {
  const v = node.value;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      try {
        return utf8.decode(v);
      } catch {
        throw new DerError('UTF8String is not valid UTF-8');
      }
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
    case 0x12: // NumericString
      // VisibleString is not among the types OpenSSL's X509_NAME accepts, so neither here.
      return latin1(v);
    case TAG.BMP_STRING: {
      if (v.length % 2 !== 0) throw new DerError('BMPString has an odd length');
      let s = '';
      for (let i = 0; i < v.length; i += 2) {
        const cp = (v[i]! << 8) | v[i + 1]!;
        if (isSurrogate(cp)) throw new DerError('BMPString holds a surrogate');
        s += String.fromCharCode(cp);
      }
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (v.length % 4 !== 0) throw new DerError('UniversalString length is not a multiple of 4');
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff || isSurrogate(cp))
          throw new DerError('UniversalString holds an invalid code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new DerError(`a string was expected, found tag 0x${node.tag.toString(16)}`);
  }
}

/**
 * Checks an ANY value (parameters, attribute values) as a DER decoder must: a universal
 * primitive must be valid for its type. Constructed values are kept as opaque bytes.
 */
export function checkAny(node: DerNode): void {
  switch (node.tag) {
    case TAG.BOOLEAN:
      decodeBoolean(node);
      break;
    case TAG.INTEGER:
    case 0x0a: // ENUMERATED
      integerBytes({ ...node, tag: TAG.INTEGER });
      break;
    case TAG.NULL:
      expectNull(node, 'NULL');
      break;
    case TAG.OID:
      decodeOid(node.value);
      break;
    case TAG.BIT_STRING:
      decodeBitString(node);
      break;
    case TAG.UTF8_STRING:
    case TAG.BMP_STRING:
    case TAG.UNIVERSAL_STRING:
      decodeString(node);
      break;
    case TAG.UTC_TIME:
    case TAG.GENERALIZED_TIME:
      decodeTime(node);
      break;
    default:
      // Constructed encodings of string types are BER, not DER.
      if (node.tag >= 0x21 && node.tag <= 0x3e && node.tag !== TAG.SEQUENCE && node.tag !== TAG.SET)
        throw new DerError('constructed string encoding is not DER');
  }
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * UTCTime / GeneralizedTime in exactly the forms RFC 5280 §4.1.2.5 allows: `YYMMDDHHMMSSZ`
 * (YY >= 50 is 19YY, else 20YY) and `YYYYMMDDHHMMSSZ`, seconds present, no fraction, no
 * offset, every field in range for its month.
 */
export function decodeTime(node: DerNode): Date {
  const s = latin1(node.value);
  let year: number;
  let rest: string;
  if (node.tag === TAG.UTC_TIME) {
    if (!/^\d{12}Z$/.test(s)) throw new DerError('UTCTime is not YYMMDDHHMMSSZ');
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2, 12);
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    if (!/^\d{14}Z$/.test(s)) throw new DerError('GeneralizedTime is not YYYYMMDDHHMMSSZ');
    year = Number(s.slice(0, 4));
    rest = s.slice(4, 14);
  } else throw new DerError('time has an unexpected tag');
  const mo = Number(rest.slice(0, 2));
  const d = Number(rest.slice(2, 4));
  const h = Number(rest.slice(4, 6));
  const mi = Number(rest.slice(6, 8));
  const se = Number(rest.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = mo === 2 && leap ? 29 : DAYS[mo - 1];
  if (mo < 1 || mo > 12 || d < 1 || d > days! || h > 23 || mi > 59 || se > 59)
    throw new DerError('time out of range');
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, se));
  // Date.UTC reads years 0–99 as 1900–1999: set the full year separately.
  date.setUTCFullYear(year);
  return date;
}

// ---------------------------------------------------------------- encoding

function encodeLength(len: number): number[] {
  if (len < 0x80) return [len];
  const out: number[] = [];
  while (len > 0) {
    out.unshift(len & 0xff);
    len = Math.floor(len / 256);
  }
  return [0x80 | out.length, ...out];
}

/** Encodes one element from a tag and its contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of contents) total += c.length;
  const head = [tag, ...encodeLength(total)];
  const out = new Uint8Array(head.length + total);
  out.set(head, 0);
  let off = head.length;
  for (const c of contents) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export const seq = (...items: Uint8Array[]) => tlv(TAG.SEQUENCE, ...items);
/** A SEQUENCE of any number of items (no argument spreading: 100,000 SANs are fine). */
export const seqOf = (items: readonly Uint8Array[]) => tlv(TAG.SEQUENCE, joinBytes(items));

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
export const set = (...items: Uint8Array[]) => tlv(TAG.SET, ...items);
export const ctx = (n: number, constructed: boolean, ...items: Uint8Array[]) =>
  tlv((constructed ? 0xa0 : 0x80) | n, ...items);
export const derNull = () => new Uint8Array([0x05, 0x00]);
export const octetString = (v: Uint8Array) => tlv(TAG.OCTET_STRING, v);
export const bitString = (v: Uint8Array, unused = 0) => tlv(TAG.BIT_STRING, new Uint8Array([unused]), v);
export const boolean = (v: boolean) => tlv(TAG.BOOLEAN, new Uint8Array([v ? 0xff : 0]));
const enc = new TextEncoder();
export const utf8String = (s: string) => tlv(TAG.UTF8_STRING, enc.encode(s));
export const printableString = (s: string) => tlv(TAG.PRINTABLE_STRING, enc.encode(s));
export const ia5String = (s: string) => tlv(TAG.IA5_STRING, enc.encode(s));

/** A non-negative INTEGER from big-endian magnitude bytes (minimal form). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v.length === 0) v = new Uint8Array([0]);
  if (v[0]! & 0x80) {
    const p = new Uint8Array(v.length + 1);
    p.set(v, 1);
    v = p;
  }
  return tlv(TAG.INTEGER, v);
}

export function smallInteger(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError('integer must be a non-negative whole number');
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  return unsignedInteger(new Uint8Array(bytes));
}

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  if (parts.length < 2 || parts.some((p) => !Number.isSafeInteger(p) || p < 0)) {
    throw new RangeError(`invalid OID "${dotted}"`);
  }
  const out: number[] = [];
  const push = (n: number) => {
    const tmp: number[] = [n & 0x7f];
    n = Math.floor(n / 128);
    while (n > 0) {
      tmp.unshift((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(...tmp);
  };
  push(parts[0]! * 40 + parts[1]!);
  for (const p of parts.slice(2)) push(p);
  return tlv(TAG.OID, new Uint8Array(out));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString();
  const y = date.getUTCFullYear();
  const body =
    iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, enc.encode(String(y).slice(2) + body));
  return tlv(TAG.GENERALIZED_TIME, enc.encode(String(y).padStart(4, '0') + body));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
