import { DerError } from './der.js';

// GeneralNames are scanned in place, by offsets: a certificate may carry 100,000 SANs, and
// one object per name (twice, for the codec and the verifier) cost seconds of GC. Strings
// are only made for the names a caller reads.

/**
 * Calls `visit(tag, start, end)` for every GeneralName inside a GeneralNames value (the
 * extension's OCTET STRING contents, `SEQUENCE { GeneralName… }`), with strict DER framing.
 */
export function scanGeneralNames(
  value: Uint8Array,
  visit: (tag: number, start: number, end: number) => void,
): number {
  head(value, 0, value.length);
  if (hTag !== 0x30 || hEnd !== value.length) throw new DerError('GeneralNames must be one SEQUENCE');
  let off = hStart;
  const end = hEnd;
  let count = 0;
  while (off < end) {
    head(value, off, end);
    const next = hEnd;
    visit(hTag, hStart, hEnd);
    count++;
    off = next;
  }
  return count;
}

// The element `head` read last (module scratch: no allocation per element).
let hTag = 0;
let hStart = 0;
let hEnd = 0;

/** Reads the element at `off` (definite, minimal length) into hTag / hStart / hEnd. */
function head(buf: Uint8Array, off: number, limit: number): void {
  if (off + 2 > limit) throw new DerError('DER element truncated');
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('DER high tag numbers are not supported');
  let len = buf[off + 1]!;
  let pos = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('DER length form not supported');
    if (pos + n > limit) throw new DerError('DER length truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    if (len < 0x80 || (n > 1 && buf[pos] === 0)) throw new DerError('DER length not minimal');
    pos += n;
  }
  if (pos + len > limit) throw new DerError('DER element longer than its container');
  hTag = tag;
  hStart = pos;
  hEnd = pos + len;
}

/** Latin-1 text of `buf[start, end)`. */
export function latin1At(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096)
    s += String.fromCharCode(...buf.subarray(i, Math.min(end, i + 4096)));
  return s;
}
