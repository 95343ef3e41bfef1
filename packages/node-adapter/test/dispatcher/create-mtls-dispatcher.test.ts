import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { getGlobalDispatcher, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { closeServer, createTestPki, listen, MutableCredentialSource, serialOf } from '../helpers/pki.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const pki = await createTestPki();
  const serverCreds = await pki.server();
  const seen: Array<{ serial: string | undefined; resumed: boolean }> = [];
  const server: Server = createServer(
    {
      cert: serverCreds.certificateChainPem,
      key: serverCreds.privateKeyPem,
      ca: pki.ca.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      res.end(socket.getPeerX509Certificate()?.serialNumber.toUpperCase() ?? 'none');
    },
  );
  server.on('secureConnection', (s: TLSSocket) =>
    seen.push({
      serial: s.getPeerX509Certificate()?.serialNumber.toUpperCase(),
      resumed: s.isSessionReused(),
    }),
  );
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  const source = new MutableCredentialSource();
  await source.set(await pki.client('client-1'));
  const origin = `https://127.0.0.1:${port}`;
  return { pki, server, seen, source, origin };
}

describe('createMtlsDispatcher', () => {
  it('presents the current identity and swaps on update without touching the global dispatcher', async () => {
    const { pki, source, origin } = await setup();
    const dispatcher = createMtlsDispatcher(source);
    cleanups.push(() => dispatcher.close());
    const first = await request(`${origin}/`, { dispatcher });
    expect(await first.body.text()).toBe(serialOf(source.current().certificateChainPem));
    const second = await pki.client('client-2');
    await source.set(second);
    expect(dispatcher.generation).toBe(2);
    const after = await request(`${origin}/`, { dispatcher });
    expect(await after.body.text()).toBe(serialOf(second.certificateChainPem));
    // fetch helper goes through the same dispatcher
    const viaFetch = await dispatcher.fetch(`${origin}/`);
    expect(await viaFetch.text()).toBe(serialOf(second.certificateChainPem));
    expect(getGlobalDispatcher()).not.toBe(dispatcher);
    expect(getGlobalDispatcher().constructor.name).toBe('Agent');
  });

  it('never resumes a TLS session of the old identity after a swap', async () => {
    const { pki, source, origin, seen } = await setup();
    const dispatcher = createMtlsDispatcher(source, { agentOptions: { pipelining: 0 } });
    cleanups.push(() => dispatcher.close());
    // Connection: close forces a new connection per request, so the second one resumes.
    for (let i = 0; i < 2; i++) {
      const r = await request(`${origin}/`, { dispatcher, headers: { connection: 'close' } });
      await r.body.text();
    }
    expect(seen.some((s) => s.resumed)).toBe(true); // the oracle: resumption is happening
    const next = await pki.client('client-2');
    await source.set(next);
    const r = await request(`${origin}/`, { dispatcher, headers: { connection: 'close' } });
    expect(await r.body.text()).toBe(serialOf(next.certificateChainPem));
    const last = seen.at(-1)!;
    expect(last.resumed).toBe(false);
    expect(last.serial).toBe(serialOf(next.certificateChainPem));
  });

  it('drains the old generation: an in-flight request finishes after the swap', async () => {
    const pki = await createTestPki();
    const serverCreds = await pki.server();
    const server = createServer(
      {
        cert: serverCreds.certificateChainPem,
        key: serverCreds.privateKeyPem,
        ca: pki.ca.certificatePem,
        requestCert: true,
      },
      (_req, res) => {
        res.write('a');
        setTimeout(() => res.end('b'), 300);
      },
    );
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const source = new MutableCredentialSource();
    await source.set(await pki.client());
    const dispatcher = createMtlsDispatcher(source);
    cleanups.push(() => dispatcher.close());
    const drained: number[] = [];
    dispatcher.on('drained' as 'drain', ((e: { generation: number }) => drained.push(e.generation)) as never);
    const pending = request(`https://127.0.0.1:${port}/`, { dispatcher }).then((r) => r.body.text());
    await new Promise((r) => setTimeout(r, 100));
    await source.set(await pki.client());
    expect(dispatcher.generations().map((g) => g.state)).toEqual(['draining', 'active']);
    expect(await pending).toBe('ab');
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toEqual([1]);
  });

  it('destroys a draining generation at drainTimeoutMs', async () => {
    const pki = await createTestPki();
    const serverCreds = await pki.server();
    const server = createServer(
      {
        cert: serverCreds.certificateChainPem,
        key: serverCreds.privateKeyPem,
        ca: pki.ca.certificatePem,
        requestCert: true,
      },
      (_req, res) => {
        res.write('a'); // never ends
      },
    );
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const source = new MutableCredentialSource();
    await source.set(await pki.client());
    const dispatcher = createMtlsDispatcher(source, { drainTimeoutMs: 200 });
    cleanups.push(() => dispatcher.destroy());
    const res = await request(`https://127.0.0.1:${port}/`, { dispatcher });
    const started = Date.now();
    await source.set(await pki.client());
    await expect(res.body.text()).rejects.toMatchObject({ code: 'ERR_MTLS_DRAIN_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(dispatcher.generations().map((g) => g.state)).toEqual(['active']);
  });

  it('waits for a source that is not ready yet', async () => {
    const { pki, origin } = await setup();
    const late = new MutableCredentialSource();
    const dispatcher = createMtlsDispatcher(late);
    cleanups.push(() => dispatcher.close());
    const pending = request(`${origin}/`, { dispatcher }).then((r) => r.body.text());
    const creds = await pki.client('late');
    await late.set(creds);
    expect(await pending).toBe(serialOf(creds.certificateChainPem));
  });

  it('refuses a TLS floor below 1.2', () => {
    const source = new MutableCredentialSource();
    expect(() => createMtlsDispatcher(source, { minVersion: 'TLSv1.1' as 'TLSv1.2' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
  });

  it('explains a rejected client certificate (TLS 1.3 and 1.2)', async () => {
    const pki = await createTestPki();
    const stranger = await createTestPki('other CA');
    const serverCreds = await pki.server();
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const server = createServer(
        {
          cert: serverCreds.certificateChainPem,
          key: serverCreds.privateKeyPem,
          ca: pki.ca.certificatePem,
          requestCert: true,
          rejectUnauthorized: true,
          maxVersion,
        },
        (_q, r) => r.end('ok'),
      );
      server.on('tlsClientError', () => undefined);
      const port = await listen(server);
      cleanups.push(() => closeServer(server));
      const source = new MutableCredentialSource();
      // trusts the server's CA, but the client certificate comes from a CA the server does not trust
      const bad = await stranger.client('stranger');
      await source.set({ ...bad, trustAnchorsPem: stranger.ca.certificatePem + pki.ca.certificatePem });
      const dispatcher = createMtlsDispatcher(source);
      cleanups.push(() => dispatcher.close());
      const err = await request(`https://127.0.0.1:${port}/`, { dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE' });
      expect((err as Error).message).toMatch(/does not trust the CA/);
      const viaFetch = await dispatcher.fetch(`https://127.0.0.1:${port}/`).catch((e: unknown) => e);
      expect((viaFetch as Error).cause).toMatchObject({ code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE' });
    }
  });

  it('handoverMs spreads the move: new connections present the new identity, then every request moves', async () => {
    const { pki, source, origin, seen } = await setup();
    const dispatcher = createMtlsDispatcher(source, { handoverMs: 300, agentOptions: { connections: 4 } });
    cleanups.push(() => dispatcher.close());
    const burst = () =>
      Promise.all(
        Array.from({ length: 8 }, () => request(`${origin}/`, { dispatcher }).then((r) => r.body.text())),
      );
    await burst();
    const next = await pki.client('client-2');
    const before = seen.length;
    await source.set(next);
    expect(dispatcher.generations().map((g) => g.state)).toEqual(['handover', 'active']);
    await burst();
    // every connection opened after the swap presented the new certificate
    expect(seen.slice(before).every((s) => s.serial === serialOf(next.certificateChainPem))).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    expect(dispatcher.generations().map((g) => g.state)).not.toContain('handover');
    const bodies = await burst();
    expect(new Set(bodies)).toEqual(new Set([serialOf(next.certificateChainPem)]));
  });

  it('maxConnectionAgeMs replaces connections of the same identity', async () => {
    const { source, origin, seen } = await setup();
    const dispatcher = createMtlsDispatcher(source, { maxConnectionAgeMs: 150 });
    cleanups.push(() => dispatcher.close());
    const first = await request(`${origin}/`, { dispatcher });
    await first.body.text();
    await new Promise((r) => setTimeout(r, 250));
    const second = await request(`${origin}/`, { dispatcher });
    expect(await second.body.text()).toBe(serialOf(source.current().certificateChainPem));
    expect(seen).toHaveLength(2);
    expect(dispatcher.generation).toBe(1);
  });
});
