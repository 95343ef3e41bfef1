import { contentStart, DerError, elementEnd } from './der.js';
import {
  type GeneralNamesKernel,
  kernelReference,
  newGeneralNamesKernel,
} from './kernels/general-names-kernel.js';

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
  /**
   * When the SIMD kernel made the index: the entries that are not plain dNSNames (1–63
   * bytes of letters, digits, inner hyphens and single dots, optionally behind `*.`). The
   * entries not listed need no check of their bytes. Undefined: every entry may be anything.
   */
  readonly odd?: Int32Array;
  /** The kernel that holds this value, for searches ({@link GeneralNamesKernel.candidateFrom}). */
  readonly kernel?: GeneralNamesKernel;
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
  if (limit < 2 || value[0] !== 0x30 || elementEnd(value, 0, limit) !== limit)
    throw new DerError('GeneralNames must be one SEQUENCE');
  const first = contentStart(value, 0);
  const kernel = newGeneralNamesKernel(value);
  const fast = kernel?.index(first);
  if (fast) {
    indexes.set(value, fast);
    return fast;
  }
  // Two passes (count, then fill) keep the arrays at their exact size: sized for the worst
  // case they would cost more than the reading. Each pass takes the common header (low tag,
  // short length that fits) inline and leaves every other form to elementEnd's full checks:
  // a call per entry was a third of the time of an index of 100,000 names.
  let count = 0;
  for (let off = first; off < limit; count++) {
    const len = value[off + 1]!;
    off =
      len < 0x80 && (value[off]! & 0x1f) !== 0x1f && off + 2 + len <= limit
        ? off + 2 + len
        : elementEnd(value, off, limit);
  }
  const tags = new Uint8Array(count);
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  for (let k = 0, off = first; k < count; k++) {
    const len = value[off + 1]!;
    // The first pass checked every header: only the length form matters here.
    const start = len < 0x80 ? off + 2 : contentStart(value, off);
    const end = len < 0x80 ? start + len : elementEnd(value, off, limit);
    tags[k] = value[off]!;
    starts[k] = start;
    ends[k] = end;
    off = end;
  }
  const index: GeneralNamesIndex = kernel
    ? { count, tags, starts, ends, kernel }
    : { count, tags, starts, ends };
  kernel?.adopt(index);
  indexes.set(value, index);
  return index;
}

/**
 * The first entry at or after `k` that may be a dNSName equal to `a` without ASCII case, or
 * to `*` followed by `b` (`b` empty: no wildcard), one trailing dot ignored: `k` itself
 * unless the index's kernel can pass over entries. The caller compares that entry exactly
 * and asks again from the next one.
 */
export function nextNameCandidate(index: GeneralNamesIndex, k: number, a: string, b: string): number {
  const { kernel } = index;
  return kernel && kernelReference(a) && (b === '' || kernelReference(b)) ? kernel.candidateFrom(k, a, b) : k;
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
