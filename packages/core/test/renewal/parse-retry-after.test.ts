import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/renewal/parse-retry-after.js';
import { FakeClock } from '../../src/time/fake-clock.js';

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });

  it('reads an HTTP-date relative to now, past dates giving 0', () => {
    const now = Date.parse('2015-10-21T07:27:00Z');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', { now })).toBe(60_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:20:00 GMT', { now })).toBe(0);
    const clock = new FakeClock({ now });
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:30 GMT', { clock })).toBe(30_000);
  });

  it('returns undefined for missing or malformed values', () => {
    for (const v of [undefined, null, '', 'soon', '-5', '1.5', '2015-10-21', 'Xyz, nonsense']) {
      expect(parseRetryAfter(v)).toBeUndefined();
    }
  });
});
