import { describe, expect, it } from 'vitest';
import { type DerNode, decodeTime } from '../../src/x509/der.js';

// RFC 5280 §4.1.2.5, rule by rule. `null` = must be refused.
const UTC = 0x17;
const GEN = 0x18;
const TABLE: [rule: string, tag: number, text: string, expected: string | null][] = [
  ['UTCTime YY >= 50 is 19YY', UTC, '500101000000Z', '1950-01-01T00:00:00.000Z'],
  ['UTCTime YY < 50 is 20YY', UTC, '491231235959Z', '2049-12-31T23:59:59.000Z'],
  ['UTCTime 99 is 1999', UTC, '991231235959Z', '1999-12-31T23:59:59.000Z'],
  ['UTCTime 00 is 2000', UTC, '000101000000Z', '2000-01-01T00:00:00.000Z'],
  ['UTCTime must include seconds', UTC, '2501010000Z', null],
  ['UTCTime must be Zulu (no offset)', UTC, '250101000000+0100', null],
  ['UTCTime must be Zulu (no local time)', UTC, '250101000000', null],
  ['UTCTime has no fractional seconds', UTC, '250101000000.5Z', null],
  ['UTCTime is 13 characters, not 15', UTC, '20250101000000Z', null],
  ['UTCTime digits only', UTC, '2501010000a0Z', null],
  ['GeneralizedTime YYYYMMDDHHMMSSZ', GEN, '20500101000000Z', '2050-01-01T00:00:00.000Z'],
  ['GeneralizedTime must include seconds', GEN, '205001010000Z', null],
  ['GeneralizedTime must be Zulu (no offset)', GEN, '20500101000000+0000', null],
  ['GeneralizedTime must be Zulu (no local time)', GEN, '20500101000000', null],
  ['GeneralizedTime has no fractional seconds', GEN, '20500101000000.123Z', null],
  ['GeneralizedTime has no fractional seconds (zero)', GEN, '20500101000000.0Z', null],
  [
    'GeneralizedTime year is four digits, read as is (0099 is 99)',
    GEN,
    '00990101000000Z',
    '0099-01-01T00:00:00.000Z',
  ],
  ['99991231235959Z means no well-defined expiration', GEN, '99991231235959Z', '9999-12-31T23:59:59.000Z'],
  [
    'GeneralizedTime before 2050 is read (a Mozilla root uses it)',
    GEN,
    '20380119031408Z',
    '2038-01-19T03:14:08.000Z',
  ],
  ['month 00 is out of range', UTC, '250001000000Z', null],
  ['month 13 is out of range', UTC, '251301000000Z', null],
  ['day 00 is out of range', UTC, '250100000000Z', null],
  ['30 February does not exist', UTC, '300230000000Z', null],
  ['31 April does not exist', GEN, '20500431000000Z', null],
  ['29 February in a leap year', GEN, '20520229000000Z', '2052-02-29T00:00:00.000Z'],
  ['29 February in a common year', GEN, '20500229000000Z', null],
  ['29 February 2000 (divisible by 400)', UTC, '000229000000Z', '2000-02-29T00:00:00.000Z'],
  ['29 February 2100 (divisible by 100)', GEN, '21000229000000Z', null],
  ['hour 24 is out of range', UTC, '250101240000Z', null],
  ['minute 60 is out of range', UTC, '250101006000Z', null],
  ['second 60 (leap second) is refused', UTC, '251231235960Z', null],
  ['second 60 in GeneralizedTime is refused', GEN, '20501231235960Z', null],
  ['another tag is not a time', 0x0c, '250101000000Z', null],
];

function node(tag: number, text: string): DerNode {
  const value = new TextEncoder().encode(text);
  return { tag, start: 0, value, bytes: value };
}

describe('RFC 5280 §4.1.2.5 time forms', () => {
  for (const [rule, tag, text, expected] of TABLE) {
    it(`${rule}: ${text}`, () => {
      if (expected === null) expect(() => decodeTime(node(tag, text))).toThrow();
      else expect(decodeTime(node(tag, text)).toISOString()).toBe(expected);
    });
  }
});
