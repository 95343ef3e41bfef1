import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Credentials } from '../../src/source/credentials.js';
import { MutableCredentialSource } from '../../src/source/mutable-credential-source.js';
import { pki } from './helpers.js';

describe('MutableCredentialSource', () => {
  it('throws a coded error before the first identity, then bumps the generation on every valid set', async () => {
    const { issue } = await pki();
    const source = new MutableCredentialSource();
    expect(() => source.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_NO_CREDENTIALS' }));
    const updates: number[] = [];
    source.on('update', (c) => updates.push(c.generation));
    const ready = source.ready();
    const one = await source.set(await issue('one'));
    expect((await ready).generation).toBe(1);
    const two = await source.set(await issue('two'));
    expect([one.generation, two.generation, source.generation]).toEqual([1, 2, 2]);
    expect(updates).toEqual([1, 2]);
    expect(source.current()).toBe(two);
  });

  it('keeps the last good generation and emits a coded error on bad material', async () => {
    const { issue } = await pki();
    const source = new MutableCredentialSource();
    const good = await source.set(await issue('good'));
    const errors: string[] = [];
    const updates: Credentials[] = [];
    source.on('error', (e) => errors.push(e.code));
    source.on('update', (c) => updates.push(c));
    const bad = await issue('bad');
    await expect(source.set({ ...bad, privateKeyPem: good.privateKeyPem })).rejects.toMatchObject({
      code: 'ERR_MTLS_KEY_MISMATCH',
    });
    expect(errors).toEqual(['ERR_MTLS_KEY_MISMATCH']);
    expect(updates).toEqual([]);
    expect(source.current()).toBe(good);
  });

  it('applies concurrent sets in call order', async () => {
    const { issue } = await pki();
    const source = new MutableCredentialSource();
    const inputs = await Promise.all(['a', 'b', 'c'].map((n) => issue(n)));
    const seen: string[] = [];
    source.on('update', (c) => seen.push(c.certificateChainPem));
    await Promise.all(inputs.map((i) => source.set(i)));
    expect(seen).toEqual(inputs.map((i) => i.certificateChainPem));
    expect(source.generation).toBe(3);
  });

  it('never shows the private key in JSON or util.inspect', async () => {
    const { issue } = await pki();
    const source = new MutableCredentialSource();
    const input = await issue('secret');
    const c = await source.set(input);
    expect(c.privateKeyPem).toBe(input.privateKeyPem);
    expect(JSON.stringify(c)).not.toContain('PRIVATE KEY');
    expect(inspect(c, { depth: 5 })).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(c)).toContain('[redacted]');
    expect(Object.isFrozen(c)).toBe(true);
  });
});
