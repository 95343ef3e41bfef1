import * as nodeCrypto from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { splitToken, TokenRegistry } from '../../src/lib/token-registry.js';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

describe('TokenRegistry', () => {
  it('finds a token by id and secret, keeps only a hash, and compares with timingSafeEqual every time', () => {
    const spy = vi.mocked(nodeCrypto.timingSafeEqual);
    const reg = new TokenRegistry<{ owner: string }>();
    const secret = 'CANARY-secret-0123456789';
    reg.add(`abc.${secret}`, { owner: 'x' });
    spy.mockClear();
    expect(reg.find(`abc.${secret}`)).toEqual({ id: 'abc', data: { owner: 'x' } });
    expect(reg.find('abc.wrong')).toBeUndefined();
    // An unknown id costs the same constant-time comparison (against a dummy hash).
    expect(reg.find(`zzz.${secret}`)).toBeUndefined();
    expect(reg.find('')).toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [x, y] of spy.mock.calls) {
      expect((x as Buffer).length).toBe(32);
      expect((y as Buffer).length).toBe(32);
    }
    expect(inspect(reg, { showHidden: true, depth: 10 })).not.toContain(secret);
    expect(JSON.stringify([...reg.values()])).not.toContain(secret);
  });

  it('splits <id>.<secret>; a token without a dot is its own id', () => {
    expect(splitToken('id.sec.ret')).toEqual({ id: 'id', secret: 'sec.ret' });
    expect(splitToken('plain')).toEqual({ id: 'plain', secret: 'plain' });
    const reg = new TokenRegistry<number>();
    reg.add('plain', 1);
    expect(reg.find('plain')?.data).toBe(1);
    expect(() => reg.add('plain', 2)).toThrow(TypeError);
    expect(reg.size).toBe(1);
  });
});
