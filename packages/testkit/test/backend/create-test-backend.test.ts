import { X509Certificate } from 'node:crypto';
import { isMtlsError, keyMatchesCertificate, parseCertificate, parseCsr } from '@mtlskit/core';
import { FakeClock } from '@mtlskit/core/testing';
import { createTestBackend, createTestPki, type TestBackend } from '@mtlskit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/call.js';
import { heartbeatBody, newIdentity, registerBody, type TestIdentity } from '../support/identity.js';
import { opensslVerify } from '../support/openssl.js';

const INVALID_TOKEN = {
  error: 'Unauthorized',
  message: 'Invalid or expired install token',
  code: 'INVALID_INSTALL_TOKEN',
};

describe('createTestBackend', () => {
  let backend: TestBackend;
  let a: TestIdentity;
  let b: TestIdentity;

  beforeAll(async () => {
    backend = await createTestBackend({ renewAfterFraction: 0.5 });
    [a, b] = await Promise.all([newIdentity('a'), newIdentity('b')]);
  });
  afterAll(() => backend.close());

  const register = (body: Record<string, unknown>, id: TestIdentity = a, headers?: Record<string, string>) =>
    call(`${backend.url}${backend.paths.register}`, {
      ca: backend.caPem,
      body,
      headers: headers ?? { 'idempotency-key': id.idempotencyKey },
    });

  async function enrolled(id: TestIdentity = a, agentId = 'agent-1') {
    const token = backend.mintInstallToken({ serviceName: 'billing' });
    const res = await register(
      registerBody(token, id, { metadata: { agent_id: agentId, hostname: 'h', version: '1' } }),
      id,
    );
    expect(res.status).toBe(201);
    return { token, res, cert: res.json.certificate_pem as string };
  }

  const mtls = (
    path: string,
    id: TestIdentity | { keyPem: string },
    cert: string | undefined,
    body: unknown,
  ) => call(`${backend.url}${path}`, { ca: backend.caPem, cert, key: cert ? id.keyPem : undefined, body });

  describe('server', () => {
    it('listens on 127.0.0.1 with a server certificate for 127.0.0.1 and localhost from its own CA', async () => {
      expect(backend.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const server = backend.caPem;
      expect(parseCertificate(server).isCA).toBe(true);
      // A request with the CA pinned succeeds (hostname 127.0.0.1 checked by Node), one without it fails.
      const ok = await call(`${backend.url}/nope`, { ca: backend.caPem, body: {} });
      expect(ok.status).toBe(404);
      expect(ok.json).toEqual({ error: 'Not Found', message: expect.any(String), code: 'NOT_FOUND' });
      const other = await createTestPki();
      await expect(call(`${backend.url}/nope`, { ca: other.caPem, body: {} })).rejects.toThrow();
    });

    it('answers 405 to other methods, 400 to bad JSON and 413 to huge bodies', async () => {
      const get = await call(`${backend.url}${backend.paths.register}`, { ca: backend.caPem, method: 'GET' });
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe('POST');
      const bad = await call(`${backend.url}${backend.paths.register}`, { ca: backend.caPem, raw: '{nope' });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('INVALID_JSON');
      const arr = await call(`${backend.url}${backend.paths.register}`, { ca: backend.caPem, raw: '[1]' });
      expect(arr.json.code).toBe('INVALID_JSON');
      const huge = await call(`${backend.url}${backend.paths.register}`, {
        ca: backend.caPem,
        raw: JSON.stringify({ x: 'y'.repeat(70 * 1024) }),
      }).catch((e: Error) => e);
      // Node may cut the upload once the 413 is out; either way the body was refused.
      if (!(huge instanceof Error)) {
        expect(huge.status).toBe(413);
        expect(huge.json.code).toBe('PAYLOAD_TOO_LARGE');
      }
      expect(backend.requests.some((r) => r.status === 413 && r.code === 'PAYLOAD_TOO_LARGE')).toBe(true);
    });
  });

  describe('register', () => {
    it('signs the CSR: 201 with a clientAuth certificate for the key that openssl verifies', async () => {
      const before = backend.registrations;
      const { res, cert } = await enrolled(a, 'agent-reg');
      expect(res.json).toEqual({
        service_id: expect.stringMatching(/^svc_[0-9a-f]{16}$/),
        message: expect.any(String),
        certificate_pem: expect.stringContaining('BEGIN CERTIFICATE'),
        ca_pem: backend.caPem,
        expires_at: expect.any(String),
        renew_after: expect.any(String),
      });
      const info = parseCertificate(cert);
      expect(info.commonName).toBe('billing');
      expect(info.extendedKeyUsage).toEqual(['clientAuth']);
      expect(info.uris).toEqual([`urn:mtlskit:service:${res.json.service_id}`]);
      expect(info.notAfter.toISOString()).toBe(res.json.expires_at);
      // Default lifetime 1 h; renew_after at half of it (renewAfterFraction 0.5).
      const life = info.notAfter.getTime() - info.notBefore.getTime();
      expect(life).toBeGreaterThanOrEqual(3_600_000);
      expect(life).toBeLessThanOrEqual(3_661_000);
      expect(Date.parse(res.json.renew_after)).toBe(info.notBefore.getTime() + life / 2);
      expect(await keyMatchesCertificate(a.keyPem, cert)).toBe(true);
      expect(info.spkiSha256).toBe((await parseCsr(a.csrPem)).spkiSha256);
      const verdict = await opensslVerify(backend.caPem, cert, 'sslclient');
      expect(verdict.output).toContain('OK');
      expect(verdict.ok).toBe(true);
      expect(backend.registrations).toBe(before + 1);
      const rec = backend.agent(res.json.service_id)!;
      expect(rec).toMatchObject({
        serviceId: res.json.service_id,
        agentId: 'agent-reg',
        serviceName: 'billing',
        serviceType: 'agent',
        mode: 'csr',
        certificateFingerprint: info.fingerprintSha256,
        revoked: false,
        renewals: 0,
        heartbeats: 0,
      });
      expect(backend.agent('agent-reg')?.serviceId).toBe(res.json.service_id);
      expect(backend.installTokens.find((t) => t.serviceId === res.json.service_id)?.used).toBe(true);
    });

    it('the server certificate passes openssl verify for sslserver', async () => {
      const pem = await new Promise<string>((resolve, reject) => {
        import('node:tls').then((tls) => {
          const s = tls.connect({ host: '127.0.0.1', port: backend.port, ca: backend.caPem }, () => {
            const raw = s.getPeerCertificate().raw;
            s.destroy();
            resolve(new X509Certificate(raw).toString());
          });
          s.on('error', reject);
        }, reject);
      });
      const info = parseCertificate(pem);
      expect(info.ipAddresses).toContain('127.0.0.1');
      expect(info.dnsNames).toContain('localhost');
      expect((await opensslVerify(backend.caPem, pem, 'sslserver')).ok).toBe(true);
    });

    it.each([
      ['install_token', { install_token: undefined }],
      ['service_name', { service_name: '' }],
      ['service_type', { service_type: undefined }],
      ['csr_pem', { csr_pem: undefined }],
      ['metadata', { metadata: undefined }],
      ['metadata.agent_id', { metadata: { hostname: 'h' } }],
    ])('400 "Missing required field: %s"', async (name, override) => {
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const res = await register(registerBody(token, a, override));
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error: 'Bad Request',
        message: `Missing required field: ${name}`,
        code: 'VALIDATION_ERROR',
      });
      // A refused call does not use the token up.
      expect((await register(registerBody(token, a))).status).toBe(201);
    });

    it('400 for a bad service_type, both csr_pem and client_cert_pem, a bad CSR or a wrong type', async () => {
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const cases: [Record<string, unknown>, string, string][] = [
        [{ service_type: 'robot' }, 'VALIDATION_ERROR', 'service_type must be one of'],
        [{ client_cert_pem: 'x' }, 'VALIDATION_ERROR', 'not both'],
        [{ csr_pem: 'garbage' }, 'INVALID_CSR', 'csr_pem'],
        [{ service_name: 42 }, 'VALIDATION_ERROR', 'service_name must be a string'],
        [{ metadata: 'x' }, 'VALIDATION_ERROR', 'metadata must be an object'],
      ];
      for (const [override, code, text] of cases) {
        const res = await register(registerBody(token, a, override));
        expect(res.status, JSON.stringify(override)).toBe(400);
        expect(res.json.code).toBe(code);
        expect(res.json.message).toContain(text);
      }
    });

    it('400 without an Idempotency-Key or with one that is not the CSR key', async () => {
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const none = await register(registerBody(token, a), a, {});
      expect(none.status).toBe(400);
      expect(none.json).toMatchObject({
        code: 'MISSING_IDEMPOTENCY_KEY',
        message: 'Missing required header: Idempotency-Key',
      });
      const wrong = await register(registerBody(token, a), a, { 'idempotency-key': b.idempotencyKey });
      expect(wrong.status).toBe(400);
      expect(wrong.json.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
      expect(backend.installTokens.find((t) => t.serviceId === undefined && !t.used)).toBeDefined();
    });

    it('401 "Invalid or expired install token" for unknown, malformed and wrong-secret tokens, all alike', async () => {
      const real = backend.mintInstallToken({ serviceName: 'billing' });
      const [id] = real.split('.');
      const candidates = ['0123456789abcdef.AAAA', 'no-dot-at-all', `${id}.wrong-secret`, `${real}x`, '.'];
      const answers = await Promise.all(candidates.map((t) => register(registerBody(t, a))));
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.json).toEqual(INVALID_TOKEN);
      }
      expect(new Set(answers.map((r) => r.text)).size).toBe(1);
    });

    it('403 TOKEN_SCOPE_MISMATCH for another service_name, service_type or controller', async () => {
      const token = backend.mintInstallToken({ serviceName: 'billing', controllerName: 'ctl-1' });
      for (const override of [
        { service_name: 'payroll', controller_name: 'ctl-1' },
        { service_type: 'controller', controller_name: 'ctl-1' },
        { controller_name: 'ctl-2' },
      ]) {
        const res = await register(registerBody(token, a, override));
        expect(res.status).toBe(403);
        expect(res.json).toMatchObject({ error: 'Forbidden', code: 'TOKEN_SCOPE_MISMATCH' });
      }
      expect((await register(registerBody(token, a, { controller_name: 'ctl-1' }))).status).toBe(201);
    });

    it('single use: the same key gets the same 201 again, another key 409', async () => {
      const { token, res } = await enrolled(a, 'agent-retry');
      const count = backend.registrations;
      const again = await register(registerBody(token, a, { metadata: { agent_id: 'agent-retry' } }));
      expect(again.status).toBe(201);
      expect(again.text).toBe(res.text);
      expect(backend.registrations).toBe(count);
      const other = await register(registerBody(token, b), b);
      expect(other.status).toBe(409);
      expect(other.json).toEqual({
        error: 'Conflict',
        message: expect.any(String),
        code: 'TOKEN_ALREADY_USED',
      });
    });

    it('an expired token is refused like an unknown one (fake clock)', async () => {
      const clock = new FakeClock({ now: Date.now() });
      const timed = await createTestBackend({ clock, tokenTtlMs: 60_000 });
      try {
        const token = timed.mintInstallToken({ serviceName: 'billing' });
        const short = timed.mintInstallToken({ serviceName: 'billing', ttlMs: 1_000 });
        clock.advance(1_000);
        const res = await call(`${timed.url}/api/v1/register`, {
          ca: timed.caPem,
          body: registerBody(short, a),
          headers: { 'idempotency-key': a.idempotencyKey },
        });
        expect(res.status).toBe(401);
        expect(res.json).toEqual(INVALID_TOKEN);
        clock.advance(58_999);
        const ok = await call(`${timed.url}/api/v1/register`, {
          ca: timed.caPem,
          body: registerBody(token, a),
          headers: { 'idempotency-key': a.idempotencyKey },
        });
        expect(ok.status).toBe(201);
        expect(
          timed.installTokens.map((t) => t.expiresAt.getTime() - clock.now()).sort((x, y) => x - y),
        ).toEqual([-58_999, 1]);
      } finally {
        await timed.close();
      }
    });

    it('with client_cert_pem registers the agent-supplied certificate and accepts it for mTLS', async () => {
      const own = await createTestPki({ clientCommonName: 'self-made' });
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const spki = parseCertificate(own.client.certPem)
        .spkiSha256.replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      const res = await register(
        registerBody(token, a, {
          csr_pem: undefined,
          client_cert_pem: own.client.certPem,
          metadata: { agent_id: 'own' },
        }),
        a,
        { 'idempotency-key': spki },
      );
      expect(res.status).toBe(201);
      expect(res.json.certificate_pem).toBeUndefined();
      expect(res.json.expires_at).toBe(parseCertificate(own.client.certPem).notAfter.toISOString());
      expect(backend.agent('own')?.mode).toBe('certificate');
      const hb = await mtls(
        backend.paths.heartbeat,
        { keyPem: own.client.keyPem },
        own.client.certPem,
        heartbeatBody('own'),
      );
      expect(hb.status).toBe(200);
      const ca = await register(
        registerBody(backend.mintInstallToken({ serviceName: 'billing' }), a, {
          csr_pem: undefined,
          client_cert_pem: own.caPem,
        }),
        a,
        {
          'idempotency-key': spki,
        },
      );
      expect(ca.status).toBe(400);
      expect(ca.json.code).toBe('INVALID_CERTIFICATE');
    });
  });

  describe('renew and heartbeat (mTLS)', () => {
    it('renew signs a new CSR for the identity; the old certificate stays usable until it expires', async () => {
      const { res, cert } = await enrolled(a, 'agent-renew');
      const sid = res.json.service_id as string;
      const renewed = await mtls(backend.paths.renew, a, cert, { csr_pem: b.csrPem });
      expect(renewed.status).toBe(200);
      expect(renewed.json).toEqual({
        certificate_pem: expect.stringContaining('BEGIN CERTIFICATE'),
        ca_pem: backend.caPem,
        expires_at: expect.any(String),
        renew_after: expect.any(String),
      });
      const info = parseCertificate(renewed.json.certificate_pem);
      expect(await keyMatchesCertificate(b.keyPem, renewed.json.certificate_pem)).toBe(true);
      expect(info.uris).toEqual([`urn:mtlskit:service:${sid}`]);
      expect((await opensslVerify(backend.caPem, renewed.json.certificate_pem, 'sslclient')).ok).toBe(true);
      const rec = backend.agent(sid)!;
      expect(rec.renewals).toBe(1);
      expect(rec.certificateFingerprint).toBe(info.fingerprintSha256);
      expect(rec.certificateFingerprints).toHaveLength(2);
      // Both generations authenticate.
      expect(
        (await mtls(backend.paths.heartbeat, b, renewed.json.certificate_pem, heartbeatBody('agent-renew')))
          .status,
      ).toBe(200);
      expect((await mtls(backend.paths.heartbeat, a, cert, heartbeatBody('agent-renew'))).status).toBe(200);
    });

    it('renew and heartbeat refuse calls without a client certificate or with a foreign one (401)', async () => {
      const stranger = await createTestPki();
      for (const path of [backend.paths.renew, backend.paths.heartbeat]) {
        const none = await mtls(path, a, undefined, { csr_pem: a.csrPem });
        expect(none.status).toBe(401);
        expect(none.json.code).toBe('CLIENT_CERTIFICATE_REQUIRED');
        const foreign = await mtls(path, { keyPem: stranger.client.keyPem }, stranger.client.certPem, {
          csr_pem: a.csrPem,
        });
        expect(foreign.status).toBe(401);
        expect(foreign.json.code).toBe('CLIENT_CERTIFICATE_UNKNOWN');
      }
    });

    it('renew validates csr_pem', async () => {
      const { cert } = await enrolled(a, 'agent-renew-bad');
      const missing = await mtls(backend.paths.renew, a, cert, {});
      expect(missing.json).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: 'Missing required field: csr_pem',
      });
      const bad = await mtls(backend.paths.renew, a, cert, {
        csr_pem: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('INVALID_CSR');
    });

    it('heartbeat records the last heartbeat and validates the payload', async () => {
      const { res, cert } = await enrolled(a, 'agent-hb');
      const ok = await mtls(
        backend.paths.heartbeat,
        a,
        cert,
        heartbeatBody('agent-hb', { status: 'degraded' }),
      );
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ status: 'ok', service_id: res.json.service_id });
      const rec = backend.agent('agent-hb')!;
      expect(rec.heartbeats).toBe(1);
      expect(rec.lastHeartbeat).toMatchObject({
        status: 'degraded',
        metrics: { cpu_usage: 12.5, memory_usage: 40, disk_usage: 71 },
      });
      const cases: [Record<string, unknown>, string, string][] = [
        [{ agent_id: undefined }, 'VALIDATION_ERROR', 'Missing required field: agent_id'],
        [{ status: 'sleepy' }, 'VALIDATION_ERROR', 'status must be one of'],
        [{ timestamp: undefined }, 'VALIDATION_ERROR', 'Missing required field: timestamp'],
        [{ metrics: undefined }, 'VALIDATION_ERROR', 'Missing required field: metrics'],
        [{ metrics: { cpu_usage: -1 } }, 'VALIDATION_ERROR', 'metrics.cpu_usage'],
        [{ agent_id: 'someone-else' }, 'AGENT_ID_MISMATCH', 'agent_id'],
      ];
      for (const [override, code, text] of cases) {
        const r = await mtls(backend.paths.heartbeat, a, cert, heartbeatBody('agent-hb', override));
        expect(r.status, JSON.stringify(override)).toBe(400);
        expect(r.json.code).toBe(code);
        expect(r.json.message).toContain(text);
      }
      expect(backend.agent('agent-hb')!.heartbeats).toBe(1);
    });

    it('revoke → 403 IDENTITY_REVOKED on renew and heartbeat, also for the register retry', async () => {
      const { token, res, cert } = await enrolled(a, 'agent-revoke');
      backend.revoke(res.json.service_id);
      expect(backend.agent('agent-revoke')?.revoked).toBe(true);
      for (const [path, body] of [
        [backend.paths.renew, { csr_pem: a.csrPem }],
        [backend.paths.heartbeat, heartbeatBody('agent-revoke')],
      ] as const) {
        const r = await mtls(path, a, cert, body);
        expect(r.status).toBe(403);
        expect(r.json).toMatchObject({ error: 'Forbidden', code: 'IDENTITY_REVOKED' });
      }
      const retry = await register(registerBody(token, a));
      expect(retry.status).toBe(403);
      expect(() => backend.revoke('nobody')).toThrow(
        expect.objectContaining({ code: 'ERR_MTLS_TESTKIT_UNKNOWN_IDENTITY' }),
      );
    });

    it('an expired client certificate gets 401 CLIENT_CERTIFICATE_EXPIRED (backend clock)', async () => {
      const clock = new FakeClock({ now: Date.now() });
      const timed = await createTestBackend({ clock, certificateLifetimeMs: 5_000 });
      try {
        const token = timed.mintInstallToken({ serviceName: 'billing' });
        const reg = await call(`${timed.url}/api/v1/register`, {
          ca: timed.caPem,
          body: registerBody(token, a),
          headers: { 'idempotency-key': a.idempotencyKey },
        });
        const info = parseCertificate(reg.json.certificate_pem);
        expect(info.notAfter.getTime() - info.notBefore.getTime()).toBeLessThanOrEqual(6_000);
        const hb = () =>
          call(`${timed.url}/api/v1/agent/heartbeat`, {
            ca: timed.caPem,
            cert: reg.json.certificate_pem,
            key: a.keyPem,
            body: heartbeatBody(),
          });
        expect((await hb()).status).toBe(200);
        clock.advance(6_000);
        const late = await hb();
        expect(late.status).toBe(401);
        expect(late.json.code).toBe('CLIENT_CERTIFICATE_EXPIRED');
      } finally {
        await timed.close();
      }
    });
  });

  describe('admin calls', () => {
    it('install-tokens mints a working token for the admin bearer only', async () => {
      const url = `${backend.url}${backend.paths.installTokens}`;
      const body = { service_name: 'billing', service_type: 'agent' };
      const res = await call(url, {
        ca: backend.caPem,
        body,
        headers: { authorization: `Bearer ${backend.adminToken}` },
      });
      expect(res.status).toBe(201);
      expect(res.json).toEqual({
        install_token: expect.stringMatching(/^[0-9a-f]{16}\.[\w-]{43}$/),
        expires_at: expect.any(String),
      });
      expect(Date.parse(res.json.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
      expect((await register(registerBody(res.json.install_token, a))).status).toBe(201);
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-admin-token' },
        { authorization: backend.adminToken },
      ]) {
        const denied = await call(url, {
          ca: backend.caPem,
          body,
          headers: headers as Record<string, string>,
        });
        expect(denied.status).toBe(401);
        expect(denied.json.code).toBe('INVALID_ADMIN_TOKEN');
      }
      const invalid = await call(url, {
        ca: backend.caPem,
        body: { service_name: 'billing', service_type: 'agent', ttl_ms: -5 },
        headers: { authorization: `Bearer ${backend.adminToken}` },
      });
      expect(invalid.status).toBe(400);
    });

    it('revoke route revokes by agent_id; 404 for an unknown one', async () => {
      const { cert } = await enrolled(a, 'agent-admin-revoke');
      const url = `${backend.url}${backend.paths.revoke}`;
      const headers = { authorization: `Bearer ${backend.adminToken}` };
      const unknown = await call(url, { ca: backend.caPem, body: { agent_id: 'nope' }, headers });
      expect(unknown.status).toBe(404);
      const denied = await call(url, { ca: backend.caPem, body: { agent_id: 'agent-admin-revoke' } });
      expect(denied.status).toBe(401);
      const ok = await call(url, { ca: backend.caPem, body: { agent_id: 'agent-admin-revoke' }, headers });
      expect(ok.status).toBe(200);
      expect(ok.json.revoked).toEqual([backend.agent('agent-admin-revoke')!.serviceId]);
      expect((await mtls(backend.paths.heartbeat, a, cert, heartbeatBody('agent-admin-revoke'))).status).toBe(
        403,
      );
    });
  });

  describe('allocation', () => {
    it('allocate: base64 PEMs, CN alloc:<token id>, a key that matches, usable for mTLS elsewhere', async () => {
      const token = backend.mintAllocationToken({ owner: 'alice', pools: ['gpu'] });
      const url = `${backend.url}${backend.paths.allocate}`;
      const res = await call(url, {
        ca: backend.caPem,
        body: { poolName: 'gpu', namespace: 'team-a' },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json).sort()).toEqual(['caCert', 'clientCert', 'clientKey']);
      const dec = (s: string) => Buffer.from(s, 'base64').toString('utf8');
      const cert = dec(res.json.clientCert);
      expect(dec(res.json.caCert)).toBe(backend.caPem);
      expect(dec(res.json.clientKey)).toContain('BEGIN PRIVATE KEY');
      expect(parseCertificate(cert).commonName).toBe(`alloc:${token.split('.')[0]}`);
      expect(parseCertificate(cert).commonName).not.toContain(token.split('.')[1]!);
      expect(await keyMatchesCertificate(dec(res.json.clientKey), cert)).toBe(true);
      expect((await opensslVerify(backend.caPem, cert, 'sslclient')).ok).toBe(true);
      expect(backend.allocations.at(-1)).toMatchObject({
        route: 'allocate',
        owner: 'alice',
        poolName: 'gpu',
        namespace: 'team-a',
      });

      const pool = await call(url, {
        ca: backend.caPem,
        body: { poolName: 'cpu', namespace: 'x' },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(pool.status).toBe(403);
      expect(pool.json.code).toBe('POOL_NOT_ALLOWED');
      const missing = await call(url, {
        ca: backend.caPem,
        body: { poolName: 'gpu' },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(missing.json.message).toBe('Missing required field: namespace');
      for (const headers of [{}, { authorization: 'Bearer x.y' }, { authorization: `Bearer ${token}z` }]) {
        const r = await call(url, {
          ca: backend.caPem,
          body: { poolName: 'gpu', namespace: 'n' },
          headers: headers as Record<string, string>,
        });
        expect(r.status).toBe(401);
        expect(r.json.code).toBe('INVALID_ALLOCATION_TOKEN');
      }
    });

    it('cert: CN is the token owner; preset tokens from the options work, with or without a dot', async () => {
      const preset = await createTestBackend({
        allocationTokens: [
          { token: 'tok1.s3cret-s3cret', owner: 'bob' },
          { token: 'plaintoken123', owner: 'carol' },
        ],
      });
      try {
        const c = await call(`${preset.url}/api/v1/cert`, {
          ca: preset.caPem,
          body: { pools: ['a', 'b'] },
          headers: { authorization: 'Bearer tok1.s3cret-s3cret' },
        });
        expect(c.status).toBe(200);
        expect(parseCertificate(Buffer.from(c.json.clientCert, 'base64').toString()).commonName).toBe('bob');
        const al = await call(`${preset.url}/api/v1/worker/allocate`, {
          ca: preset.caPem,
          body: { poolName: 'p', namespace: 'n' },
          headers: { authorization: 'Bearer plaintoken123' },
        });
        expect(parseCertificate(Buffer.from(al.json.clientCert, 'base64').toString()).commonName).toBe(
          'alloc:plaintoken123',
        );
        for (const body of [{}, { pools: [] }, { pools: 'a' }]) {
          const bad = await call(`${preset.url}/api/v1/cert`, {
            ca: preset.caPem,
            body,
            headers: { authorization: 'Bearer tok1.s3cret-s3cret' },
          });
          expect(bad.status).toBe(400);
        }
      } finally {
        await preset.close();
      }
    });
  });

  describe('options', () => {
    it('refuses bad options with ERR_MTLS_INVALID_ARGUMENT', async () => {
      for (const o of [
        { certificateLifetimeMs: 10 },
        { tokenTtlMs: -1 },
        { renewAfterFraction: 1.5 },
        { adminToken: 'short' },
        { tokenReuse: 'maybe' as never },
        { paths: { register: 'register' } },
        { paths: { register: '/same', renew: '/same' } },
      ]) {
        const e = await createTestBackend(o).catch((err: unknown) => err);
        expect(isMtlsError(e) && e.code).toBe('ERR_MTLS_INVALID_ARGUMENT');
      }
    });

    it('serves configured paths and closes idempotently', async () => {
      const custom = await createTestBackend({ paths: { register: '/enroll' } });
      const token = custom.mintInstallToken({ serviceName: 'billing' });
      const r = await call(`${custom.url}/enroll`, {
        ca: custom.caPem,
        body: registerBody(token, a),
        headers: { 'idempotency-key': a.idempotencyKey },
      });
      expect(r.status).toBe(201);
      await Promise.all([custom.close(), custom.close()]);
      await expect(call(`${custom.url}/enroll`, { ca: custom.caPem, body: {} })).rejects.toThrow();
    });
  });
});
