import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer } from 'node:tls';
import { isMtlsError } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import { createTestPki, MutableCredentialSource } from '../helpers/pki.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isMtlsError(e) ? e.code : `not an MtlsError: ${String(e)}`;
  }
  return undefined;
};

describe('attachCredentials and the options given to createServer()', () => {
  it('refuses a cert / key / ca it would replace, naming them', async () => {
    const pki = await createTestPki();
    const material = await pki.server('server-1');
    const source = new MutableCredentialSource();
    await source.set(material);
    const server = createHttpsServer({ cert: material.certificateChainPem, key: material.privateKeyPem });
    let message = '';
    try {
      attachCredentials(server, source);
    } catch (e) {
      expect(isMtlsError(e) && e.code).toBe('ERR_MTLS_SERVER_OPTIONS_CONFLICT');
      message = (e as Error).message;
    }
    expect(message).toContain('cert, key');
    expect(message).not.toContain('PRIVATE KEY');
    expect(codeOf(() => attachCredentials(createTlsServer({ ca: pki.ca.certificatePem }), source))).toBe(
      'ERR_MTLS_SERVER_OPTIONS_CONFLICT',
    );
  });

  it('refuses client-certificate settings that contradict its own, and accepts agreeing ones', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server('server-1'));
    expect(
      codeOf(() => attachCredentials(createTlsServer({ requestCert: true }), source, { requestCert: false })),
    ).toBe('ERR_MTLS_SERVER_OPTIONS_CONFLICT');
    expect(codeOf(() => attachCredentials(createTlsServer({ rejectUnauthorized: false }), source))).toBe(
      'ERR_MTLS_SERVER_OPTIONS_CONFLICT',
    );
    const agreeing = createTlsServer({ requestCert: true, rejectUnauthorized: false });
    const attached = attachCredentials(agreeing, source, { dangerouslyAcceptUnverifiedClients: true });
    await attached.ready();
    expect(attached.generation).toBe(1);
    // Re-attaching a server this module already filled is not a conflict.
    attached.detach();
    const again = attachCredentials(agreeing, source, { dangerouslyAcceptUnverifiedClients: true });
    expect(again.generation).toBe(1);
    again.detach();
  });

  it('ready({ signal }) stops waiting with ERR_MTLS_ABORTED; the server still follows the source', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    const attached = attachCredentials(createTlsServer(), source);
    const controller = new AbortController();
    const waiting = attached.ready({ signal: controller.signal });
    controller.abort(new Error('shutting down'));
    const error = await waiting.catch((e: unknown) => e);
    expect(isMtlsError(error) && error.code).toBe('ERR_MTLS_ABORTED');
    expect((error as Error).cause).toEqual(new Error('shutting down'));
    await source.set(await pki.server('server-1'));
    await attached.ready();
    expect(attached.generation).toBe(1);
    await expect(attached.ready({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_MTLS_ABORTED',
    });
    attached.detach();
  });
});
