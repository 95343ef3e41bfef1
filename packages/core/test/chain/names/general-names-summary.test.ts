// The one-pass SAN check behind the webpki profile's preferred-name-syntax rule (BR 7.1.4.2):
// it reads the DER bytes in place, so its verdicts are pinned here name by name.
import { describe, expect, it } from 'vitest';
import { summarizeGeneralNames } from '../../../src/chain/names/general-names.js';
import { DerError } from '../../../src/x509/der.js';
import { KERNEL_MIN_BYTES } from '../../../src/x509/kernels/general-names-kernel.js';

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const len =
    body.length < 0x80
      ? [body.length]
      : body.length < 0x100
        ? [0x81, body.length]
        : [0x82, body.length >> 8, body.length & 0xff];
  return Uint8Array.from([tag, ...len, ...body]);
}
const entries = (names: (string | Uint8Array)[]) =>
  names.flatMap((n) => [...(typeof n === 'string' ? tlv(0x82, new TextEncoder().encode(n)) : n)]);
// 150 good names first make a value large enough for the SIMD kernel (x509/kernels): every
// case runs on the plain loops and on the kernel.
const FILLER = entries(Array.from({ length: 150 }, (_, i) => `filler${i}.example.com`));

describe.each([
  ['a small value', false],
  ['a large value (kernel)', true],
])('summarizeGeneralNames: dNSName preferred name syntax, in %s', (_, large) => {
  const sans = (...names: (string | Uint8Array)[]) =>
    tlv(0x30, Uint8Array.from([...(large ? FILLER : []), ...entries(names)]));

  const ok = [
    'a',
    'a.b',
    'example.com',
    'A-1.Example.COM',
    '*.example.com',
    `${'x'.repeat(63)}.a`,
    `${'a.'.repeat(126)}a`,
  ];
  const bad = [
    '_x.example.com',
    'under_score.example.com',
    '.example.com',
    'a..b',
    'example.com.',
    '-a.example.com',
    'a-.example.com',
    '*',
    '*.',
    'a*.example.com',
    'a.*.example.com',
    '**.example.com',
    `${'x'.repeat(64)}.a`,
    `${'a.'.repeat(126)}ab`,
    'a b.example.com',
    '',
  ];
  for (const name of ok)
    it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length})` : name)}`, () => {
      expect(summarizeGeneralNames(sans('first.example', name)).badDnsName).toBeUndefined();
    });
  for (const name of bad)
    it(`flags ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length})` : name)}, and only the first bad one`, () => {
      expect(summarizeGeneralNames(sans('first.example', name, 'b_ad.example')).badDnsName).toBe(name);
    });

  it('throws on a non-ASCII byte (not an IA5String), wherever it sits in the name', () => {
    for (const bytes of [
      [0xc3, 0xa9, 0x2e, 0x61],
      [0x61, 0x5f, 0x62, 0xff],
      [0x2a, 0x2e, 0x61, 0x80],
    ])
      expect(() => summarizeGeneralNames(sans(tlv(0x82, Uint8Array.from(bytes))))).toThrow(DerError);
  });

  it(`agrees with a plain regular-expression reading on ${large ? '5,000' : '20,000'} random names (seeded)`, () => {
    // The fast path must never accept a name the rule refuses, nor hide a non-ASCII byte.
    const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
    const SYNTAX = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
    const reference = (b: Uint8Array): 'ok' | 'bad' | 'throws' => {
      if (b.some((x) => x > 0x7f)) return 'throws';
      const s = String.fromCharCode(...b);
      const labels = s.replace(/^\*\./, '').split('.');
      return s.length <= 253 && SYNTAX.test(s) && labels.every((l) => l.length <= 63) ? 'ok' : 'bad';
    };
    const alphabet = [0x61, 0x5a, 0x30, 0x2d, 0x2e, 0x2a, 0x5f, 0x20, 0x80, 0xff];
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const seen = { ok: 0, bad: 0, throws: 0 };
    for (let i = 0; i < (large ? 5_000 : 20_000); i++) {
      const len = rand(4) === 0 ? rand(140) : rand(20);
      const bytes = Uint8Array.from({ length: len }, () =>
        rand(3) === 0 ? alphabet[rand(alphabet.length)]! : 0x61 + rand(26),
      );
      const want = reference(bytes);
      seen[want]++;
      let got: 'ok' | 'bad' | 'throws';
      try {
        got = summarizeGeneralNames(sans(tlv(0x82, bytes))).badDnsName === undefined ? 'ok' : 'bad';
      } catch (e) {
        expect(e).toBeInstanceOf(DerError);
        got = 'throws';
      }
      if (got !== want) expect({ name: [...bytes], got }).toEqual({ name: [...bytes], got: want });
    }
    // Every outcome was exercised, not just the common one.
    expect(Math.min(seen.ok, seen.bad, seen.throws)).toBeGreaterThan(large ? 125 : 500);
  });

  it('reads IP lengths on the way and refuses empty GeneralNames', () => {
    if (large) expect(sans('a').length).toBeGreaterThanOrEqual(KERNEL_MIN_BYTES);
    expect(summarizeGeneralNames(sans(tlv(0x87, Uint8Array.of(10, 0, 0, 1)))).badIpLength).toBe(false);
    expect(summarizeGeneralNames(sans(tlv(0x87, Uint8Array.of(10, 0, 1)))).badIpLength).toBe(true);
    expect(() => summarizeGeneralNames(Uint8Array.of(0x30, 0))).toThrow(DerError);
  });
});
