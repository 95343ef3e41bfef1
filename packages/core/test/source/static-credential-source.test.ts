import { describe, expect, it } from 'vitest';
import { createStaticCredentialSource } from '../../src/source/static-credential-source.js';
import { pki } from './helpers.js';

describe('createStaticCredentialSource', () => {
  it('validates once and serves generation 1', async () => {
    const { issue } = await pki();
    const input = await issue('static');
    const source = createStaticCredentialSource(input);
    const c = await source.ready();
    expect(c.generation).toBe(1);
    expect(source.current()).toBe(c);
    expect(c.certificateChainPem).toBe(input.certificateChainPem);
  });

  it('rejects ready() and emits error for invalid material', async () => {
    const { issue } = await pki();
    const a = await issue('a');
    const b = await issue('b');
    const source = createStaticCredentialSource({ ...a, privateKeyPem: b.privateKeyPem });
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    await expect(source.ready()).rejects.toMatchObject({ code: 'ERR_MTLS_KEY_MISMATCH' });
    expect(errors).toEqual(['ERR_MTLS_KEY_MISMATCH']);
    expect(() => source.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_NO_CREDENTIALS' }));
  });
});
