import { DerError } from './der.js';

// GeneralNames are read in place, by offsets: a certificate may carry 100,000 SANs, and one
// object per name (for the codec and again for the verifier) cost seconds of GC. The offsets
// are found once per extension value and shared by every reader; strings are only made for
// the names a caller reads.

/** Where each GeneralName of one GeneralNames value lies (entry `k`: `value[starts[k], ends[k])`). */
export interface GeneralNamesIndex {
  readonly count: number;
  /** The identifier octet of each entry (0x82 dNSName, 0x87 iPAddress, …). */
  readonly tags: Uint8Array;
  /** Start of each entry's contents. */
  readonly starts: Int32Array;
  /** End (exclusive) of each entry's contents. */
  readonly ends: Int32Array;
}

// The values are sub-views of a certificate's own DER copy, which nothing writes to.
const indexes = new WeakMap<Uint8Array, GeneralNamesIndex>();

/**
 * The entries of a GeneralNames value (the extension's OCTET STRING contents,
 * `SEQUENCE { GeneralName… }`), with strict DER framing: one SEQUENCE, low tag numbers,
 * minimal definite lengths, nothing outside the SEQUENCE. Computed once per value.
 */
export function indexGeneralNames(value: Uint8Array): GeneralNamesIndex {
  const hit = indexes.get(value);
  if (hit) return hit;
  const limit = value.length;
  if (limit < 2 || value[0] !== 0x30) throw new DerError('GeneralNames must be one SEQUENCE');
  const first = bodyStart(value, 0, limit);
  if (first + readLength(value, 1) !== limit) throw new DerError('GeneralNames must be one SEQUENCE');
  // Two passes (count, then fill) keep the arrays at their exact size: sized for the worst
  // case they would cost more than the reading.
  // Short-form lengths (entries under 128 bytes, nearly all) are read inline.
  let count = 0;
  for (let off = first; off < limit; count++) {
    const len = value[off + 1]!;
    const end = off + 2 + len;
    off = len < 0x80 && end <= limit && (value[off]! & 0x1f) !== 0x1f ? end : entryEnd(value, off, limit);
  }
  const tags = new Uint8Array(count);
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  for (let k = 0, off = first; k < count; k++) {
    const len = value[off + 1]!;
    let end = off + 2 + len;
    if (len >= 0x80) end = entryEnd(value, off, limit);
    tags[k] = value[off]!;
    starts[k] = end - (len >= 0x80 ? entryLength : len);
    ends[k] = end;
    off = end;
  }
  const index: GeneralNamesIndex = { count, tags, starts, ends };
  indexes.set(value, index);
  return index;
}

// The contents length of the entry entryEnd read last (module scratch: no object per entry).
let entryLength = 0;

/** The end of the entry whose identifier octet is at `off`; sets entryLength. Strict framing. */
function entryEnd(buf: Uint8Array, off: number, limit: number): number {
  if (off + 2 > limit) throw new DerError('DER element truncated');
  if ((buf[off]! & 0x1f) === 0x1f) throw new DerError('DER high tag numbers are not supported');
  const start = bodyStart(buf, off, limit);
  const len = readLength(buf, off + 1);
  const end = start + len;
  if (end > limit) throw new DerError('DER element longer than its container');
  entryLength = len;
  return end;
}

/** The offset of the contents of the element whose identifier octet is at `off`. */
function bodyStart(buf: Uint8Array, off: number, limit: number): number {
  const first = buf[off + 1]!;
  if (!(first & 0x80)) return off + 2;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new DerError('DER length form not supported');
  if (off + 2 + n > limit) throw new DerError('DER length truncated');
  return off + 2 + n;
}

/** The length encoded at `at` (in bounds: bodyStart checked it first), minimal form only. */
function readLength(buf: Uint8Array, at: number): number {
  const first = buf[at]!;
  if (!(first & 0x80)) return first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[at + 1 + i]!;
  if (len < 0x80 || (n > 1 && buf[at + 1] === 0)) throw new DerError('DER length not minimal');
  return len;
}

/**
 * Calls `visit(tag, start, end)` for every GeneralName inside a GeneralNames value, in order;
 * returns how many there are. For readers that look at a few names; hot paths loop over
 * {@link indexGeneralNames} themselves.
 */
export function scanGeneralNames(
  value: Uint8Array,
  visit: (tag: number, start: number, end: number) => void,
): number {
  const { count, tags, starts, ends } = indexGeneralNames(value);
  for (let k = 0; k < count; k++) visit(tags[k]!, starts[k]!, ends[k]!);
  return count;
}

/** Latin-1 text of `buf[start, end)`. */
export function latin1At(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096)
    s += String.fromCharCode(...buf.subarray(i, Math.min(end, i + 4096)));
  return s;
}
