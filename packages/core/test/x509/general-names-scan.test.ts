// The SAN index every reader shares: strict framing, exact offsets, computed once.
import { describe, expect, it } from 'vitest';
import { children, DerError, readSingle } from '../../src/x509/der.js';
import { indexGeneralNames, scanGeneralNames } from '../../src/x509/general-names-scan.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('indexGeneralNames', () => {
  it('gives the tag and content offsets of every entry, short and long lengths alike', () => {
    const long = new Array(200).fill(0x61);
    const entries = [0x82, 2, 0x61, 0x62, 0x87, 0, 0x86, 1, 0x75, 0x82, 0x81, 200, ...long];
    const value = bytes(0x30, 0x81, entries.length, ...entries);
    const ix = indexGeneralNames(value);
    expect(ix.count).toBe(4);
    expect([...ix.tags]).toEqual([0x82, 0x87, 0x86, 0x82]);
    expect([...ix.starts]).toEqual([5, 9, 11, 15]);
    expect([...ix.ends]).toEqual([7, 9, 12, 215]);
    // Computed once per value: every reader gets the same index.
    expect(indexGeneralNames(value)).toBe(ix);
    const seen: number[][] = [];
    expect(scanGeneralNames(value, (tag, start, end) => seen.push([tag, start, end]))).toBe(4);
    expect(seen[3]).toEqual([0x82, 15, 215]);
  });

  it('refuses every framing error with a DerError', () => {
    const bad = [
      bytes(), // nothing
      bytes(0x31, 0), // not a SEQUENCE
      bytes(0x30, 3, 0x82, 1, 0x61, 0x00), // trailing byte after the SEQUENCE
      bytes(0x30, 2, 0x82, 1), // entry longer than the SEQUENCE
      bytes(0x30, 1, 0x82), // entry header cut short
      bytes(0x30, 3, 0x9f, 1, 0x61), // high tag number
      bytes(0x30, 4, 0x82, 0x81, 1, 0x61), // long form for a short length
      bytes(0x30, 5, 0x82, 0x82, 0, 1, 0x61), // leading zero length octet
      bytes(0x30, 3, 0x82, 0x80, 0x61), // indefinite length
      bytes(0x30, 3, 0x82, 0x85, 0x61), // five length octets
      bytes(0x30, 3, 0x82, 0x82, 0x01), // length octets run past the end
      bytes(0x30, 0x81, 3, 0x82, 1, 0x61), // outer long form not minimal
    ];
    for (const v of bad) expect(() => indexGeneralNames(v), `[${[...v].join(',')}]`).toThrow(DerError);
  });

  it('accepts an empty SEQUENCE (the SAN rules refuse it later, with their own message)', () => {
    expect(indexGeneralNames(bytes(0x30, 0)).count).toBe(0);
  });

  it('agrees with the strict element reader on 5,000 random and mutated values (seeded)', () => {
    // The index reads common headers inline; readNode is the one definition of strict framing.
    let seed = 0x1d872b41;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    // [tag, content start, content end] of each entry, offsets into `v`.
    const reference = (v: Uint8Array) => {
      try {
        const seq = readSingle(v);
        if (seq.tag !== 0x30) return 'throws';
        return children(seq).map((c) => [
          c.tag,
          c.value.byteOffset - v.byteOffset,
          c.value.byteOffset - v.byteOffset + c.value.length,
        ]);
      } catch (e) {
        expect(e).toBeInstanceOf(DerError);
        return 'throws';
      }
    };
    const seen = { ok: 0, throws: 0 };
    for (let i = 0; i < 5_000; i++) {
      const entries: number[] = [];
      for (let n = rand(6); n > 0; n--) {
        const len = rand(4) === 0 ? 120 + rand(20) : rand(6);
        const header = len < 0x80 ? [len] : [0x81, len];
        entries.push(
          [0x82, 0x87, 0x86, 0xa4, 0x9f][rand(5)]!,
          ...header,
          ...Array.from({ length: len }, () => 0x61),
        );
      }
      const outer = entries.length < 0x80 ? [entries.length] : [0x81, entries.length];
      const bytes = [0x30, ...outer, ...entries];
      // Half of them get one byte changed, cut or added: framing errors of every kind.
      if (i % 2 === 1 && bytes.length > 0) {
        const at = rand(bytes.length);
        const how = rand(3);
        if (how === 0) bytes[at] = rand(256);
        else if (how === 1) bytes.length = at;
        else bytes.splice(at, 0, rand(256));
      }
      const v = Uint8Array.from(bytes);
      const want = reference(v);
      let got: number[][] | 'throws';
      try {
        const ix = indexGeneralNames(v);
        got = Array.from({ length: ix.count }, (_, k) => [ix.tags[k]!, ix.starts[k]!, ix.ends[k]!]);
      } catch (e) {
        expect(e).toBeInstanceOf(DerError);
        got = 'throws';
      }
      seen[got === 'throws' ? 'throws' : 'ok']++;
      if (JSON.stringify(got) !== JSON.stringify(want))
        expect({ v: [...v], got }).toEqual({ v: [...v], got: want });
    }
    expect(Math.min(seen.ok, seen.throws)).toBeGreaterThan(1_000);
  });
});
