import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent, MemoryStore } from '@mtlskit/agent';
import { createCertificateAuthority } from '@mtlskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

const TOKEN = 'tid.create-agent-secret-token';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function server(): Promise<ProtocolServer> {
  const s = await startProtocolServer({ tokens: { [TOKEN]: 'svc' } });
  open.push(s);
  return s;
}

const base = (s: { url: string; caPem: string }) => ({
  backendUrl: s.url,
  trustAnchors: s.caPem,
  installToken: TOKEN,
  serviceName: 'svc',
  store: new MemoryStore(),
  heartbeat: { enabled: false },
});

describe('createAgent options', () => {
  it('validates options with coded errors', async () => {
    const s = await server();
    const cases: [Record<string, unknown>, string][] = [
      [{ backendUrl: 'not a url' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ backendUrl: s.url.replace('https', 'http') }, 'ERR_MTLS_INSECURE_BACKEND_URL'],
      [{ backendUrl: 'ftp://x', dangerouslyAllowInsecureHttp: true }, 'ERR_MTLS_INSECURE_BACKEND_URL'],
      [{ trustAnchors: 'garbage' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ trustAnchors: '' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ serviceName: '' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ serviceType: 'robot' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ store: undefined }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ installTokenFile: '/tmp/x' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ spkiPin: 'short' }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ renewal: { fraction: 2 } }, 'ERR_MTLS_INVALID_ARGUMENT'],
      [{ heartbeat: { intervalMs: -1 } }, 'ERR_MTLS_INVALID_ARGUMENT'],
    ];
    for (const [patch, code] of cases) {
      let thrown: unknown;
      try {
        createAgent({ ...base(s), ...patch } as Parameters<typeof createAgent>[0]);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(patch)).toMatchObject({ code });
      expect(String((thrown as Error).message)).not.toContain(TOKEN);
    }
  });

  it('speaks plain http only with dangerouslyAllowInsecureHttp, and says so loudly', async () => {
    const seen: string[] = [];
    const plain = createServer((req, res) => {
      seen.push(req.url ?? '');
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":"x","message":"down","code":"x"}');
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => plain.close(() => r())) });
    const ca = await createCertificateAuthority({ subject: { commonName: 'any' } });
    const warnings: string[] = [];
    const agent = createAgent({
      ...base({ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}`, caPem: ca.certificatePem }),
      dangerouslyAllowInsecureHttp: true,
      logger: { warn: (m: unknown) => warnings.push(String(m)) },
    });
    open.push(agent);
    const failed = new Promise((r) => agent.once('enrollment-failed', r));
    void agent.start().catch(() => undefined);
    await failed;
    expect(seen).toEqual(['/api/v1/register']);
    expect(warnings.some((w) => w.includes('INSECURE'))).toBe(true);
  });
});

describe('backend trust', () => {
  it('never sends the install token to a server whose certificate is from another CA', async () => {
    const s = await server();
    const otherCa = await createCertificateAuthority({ subject: { commonName: 'Not the backend CA' } });
    const agent = createAgent({ ...base(s), trustAnchors: otherCa.certificatePem });
    open.push(agent);
    const err = await agent.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_MTLS_SERVER_NOT_TRUSTED' });
    expect(String((err as Error).message)).toMatch(/Nothing secret was sent/);
    expect(s.requests).toHaveLength(0);
    expect(s.registrations).toHaveLength(0);
  });

  it('honours an SPKI pin computed by openssl, and refuses a server with another key', async () => {
    const s = await server();
    const spkiDer = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
      input: execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: s.serverCertPem }),
    });
    const pin = createHash('sha256').update(spkiDer).digest('base64');
    const good = createAgent({ ...base(s), spkiPin: `sha256/${pin}` });
    open.push(good);
    expect((await good.start()).generation).toBe(1);

    const s2 = await startProtocolServer({ tokens: { [TOKEN]: 'svc' }, ca: s.ca });
    open.push(s2);
    const bad = createAgent({ ...base(s2), spkiPin: pin });
    open.push(bad);
    const err = await bad.start().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
      details: { tlsCode: 'ERR_MTLS_SPKI_PIN_MISMATCH' },
    });
    expect(s2.requests).toHaveLength(0);
  });

  it('refuses a backend that only offers TLS 1.1', async () => {
    const s = await server();
    const { createServer: createTls } = await import('node:https');
    const leaf = await s.ca.issue({
      subject: { commonName: 'old' },
      profile: 'server',
      ipAddresses: ['127.0.0.1'],
    });
    const old = createTls(
      {
        key: leaf.privateKeyPem!,
        cert: leaf.certificatePem,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      },
      (_req, res) => res.end('{}'),
    );
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => old.close(() => r())) });
    const agent = createAgent({
      ...base({ url: `https://127.0.0.1:${(old.address() as AddressInfo).port}`, caPem: s.caPem }),
    });
    open.push(agent);
    const err = await agent.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_MTLS_SERVER_NOT_TRUSTED' });
  });
});
