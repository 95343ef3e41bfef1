import { createServer } from 'node:https';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import {
  type CredentialsInput,
  closeServer,
  createTestPki,
  listen,
  MutableCredentialSource,
} from '../helpers/pki.js';

const HOUR = 3_600_000;

describe('refused updates under traffic', () => {
  it('a mismatched, truncated, expired or wrong-CA update is refused and the old generation keeps serving', async () => {
    const pki = await createTestPki();
    const rogue = await createTestPki('rogue CA');
    const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
    const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
    await serverSource.set(await pki.server());
    await clientSource.set(await pki.client());
    const server = createServer((_q, r) => r.end('ok'));
    let tlsClientErrors = 0;
    server.on('tlsClientError', () => {
      tlsClientErrors += 1;
    });
    attachCredentials(server, serverSource);
    const port = await listen(server);
    const dispatcher = createMtlsDispatcher(clientSource);
    let ok = 0;
    const failures: unknown[] = [];
    let running = true;
    const loops = Array.from({ length: 4 }, async (_, i) => {
      while (running) {
        try {
          const r = await request(`https://127.0.0.1:${port}/`, {
            dispatcher,
            ...(i % 2 ? { headers: { connection: 'close' } } : {}),
          });
          if ((await r.body.text()) === 'ok') ok += 1;
        } catch (e) {
          failures.push(e);
        }
      }
    });
    const badFor = async (
      source: MutableCredentialSource,
      good: CredentialsInput,
      issue: typeof pki.client,
    ): Promise<CredentialsInput[]> =>
      [
        { ...good, privateKeyPem: (await issue('other')).privateKeyPem },
        {
          ...good,
          certificateChainPem: good.certificateChainPem.slice(0, good.certificateChainPem.length / 2),
        },
        await pki.client('expired', {
          notBefore: new Date(Date.now() - 5 * HOUR),
          notAfter: new Date(Date.now() - HOUR),
        }),
        { ...(await rogue.client('rogue')), trustAnchorsPem: pki.ca.certificatePem },
        void source,
      ].filter((x): x is CredentialsInput => x !== undefined);
    const codes: string[] = [];
    for (const [source, good] of [
      [clientSource, await pki.client('good')],
      [serverSource, await pki.server('good-server')],
    ] as const) {
      for (const bad of await badFor(source, good, (cn) => pki.client(cn))) {
        await new Promise((r) => setTimeout(r, 100));
        await source.set(bad).catch((e: { code: string }) => codes.push(e.code));
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await Promise.all(loops);
    expect(dispatcher.generation).toBe(1);
    await dispatcher.close();
    await closeServer(server);
    expect(codes).toEqual([
      'ERR_MTLS_KEY_MISMATCH',
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'ERR_MTLS_CERT_EXPIRED',
      'ERR_MTLS_CHAIN_INVALID',
      'ERR_MTLS_KEY_MISMATCH',
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'ERR_MTLS_CERT_EXPIRED',
      'ERR_MTLS_CHAIN_INVALID',
    ]);
    expect(clientSource.generation).toBe(1);
    expect(serverSource.generation).toBe(1);
    expect(failures).toEqual([]);
    expect(tlsClientErrors).toBe(0);
    expect(ok).toBeGreaterThan(20);
  }, 30_000);
});
