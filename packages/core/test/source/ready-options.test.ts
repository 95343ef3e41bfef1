import { describe, expect, it } from 'vitest';
import { isMtlsError } from '../../src/errors/mtls-error.js';
import { MutableCredentialSource } from '../../src/source/mutable-credential-source.js';
import { abortable } from '../../src/source/ready-options.js';
import { createStaticCredentialSource } from '../../src/source/static-credential-source.js';
import { pki } from './helpers.js';

describe('ready({ signal })', () => {
  it('abandons the wait with ERR_MTLS_ABORTED (reason as cause); the source still becomes ready', async () => {
    const { issue } = await pki();
    const source = new MutableCredentialSource();
    const controller = new AbortController();
    const waiting = source.ready({ signal: controller.signal });
    const reason = new Error('deadline');
    controller.abort(reason);
    const error = await waiting.catch((e: unknown) => e);
    expect(isMtlsError(error) && error.code).toBe('ERR_MTLS_ABORTED');
    expect((error as Error).cause).toBe(reason);
    await source.set(await issue('one'));
    expect((await source.ready({ signal: new AbortController().signal })).generation).toBe(1);
  });

  it('rejects at once for an already aborted signal, also on the static source', async () => {
    const { issue } = await pki();
    const source = createStaticCredentialSource(await issue('one'));
    expect((await source.ready()).generation).toBe(1);
    await expect(source.ready({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_MTLS_ABORTED',
    });
  });

  it('passes the result or the failure through and leaves no abort listener behind', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      removed++;
      remove(...a);
    }) as typeof signal.removeEventListener;
    await expect(abortable(Promise.resolve(7), signal)).resolves.toBe(7);
    await expect(abortable(Promise.reject(new Error('boom')), signal)).rejects.toThrow('boom');
    expect([added, removed]).toEqual([2, 2]);
  });
});
