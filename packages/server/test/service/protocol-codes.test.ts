import {
  type CertificateAuthority,
  createCertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
} from '@mtlskit/core';
import { FakeClock } from '@mtlskit/core/testing';
import { ProtocolError } from '@mtlskit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, call } from '../../../testkit/test/support/call.js';
import {
  heartbeatBody,
  newIdentity,
  registerBody,
  type TestIdentity,
} from '../../../testkit/test/support/identity.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type Replica, serverIdentity, startReplica } from '../support/replica.js';

const ADMIN = 'test-admin-token-0123456789';

// Every status and code of docs/protocol.md, on both stores.
describe.each(['memory', 'redis'] as const)(
  'every status and code of docs/protocol.md (%s store)',
  (kind) => {
    let redis: RedisServer | undefined;
    let ca: CertificateAuthority;
    let r: Replica;
    let clock: FakeClock;
    let enrolled: { id: TestIdentity; cert: string; serviceId: string; token: string };
    let hook: { before?: string; fail?: string } = {};

    const post = (
      path: string,
      body: unknown,
      extra: Partial<Parameters<typeof call>[1]> = {},
    ): Promise<CallResult> => call(`${r.url}${path}`, { ca: ca.certificatePem, body, ...extra });
    const register = (
      token: string,
      id: TestIdentity,
      overrides: Record<string, unknown> = {},
      key = id.idempotencyKey,
    ) =>
      post('/api/v1/register', registerBody(token, id, overrides), { headers: { 'idempotency-key': key } });
    const mint = async (o: { serviceName?: string; controllerName?: string } = {}) =>
      (
        await r.service.mintInstallToken({
          serviceName: o.serviceName ?? 'billing',
          ...(o.controllerName ? { controllerName: o.controllerName } : {}),
        })
      ).token;
    const expectError = (res: CallResult, status: number, code: string) => {
      expect([res.status, res.json?.code]).toEqual([status, code]);
      expect(typeof res.json.message).toBe('string');
      expect(typeof res.json.error).toBe('string');
    };

    beforeAll(async () => {
      if (kind === 'redis') redis = await startRedisServer();
      clock = new FakeClock({ now: Date.now() });
      ca = await createCertificateAuthority({
        subject: { commonName: `codes CA ${kind}` },
        validityMs: 10 * 365 * 86_400_000,
      });
      r = await startReplica(ca, await serverIdentity(ca), {
        ...(redis ? { redisUrl: redis.url, keyPrefix: 'codes:' } : {}),
        clock,
        renewAfterFraction: 0.5,
        renewBeforeFraction: 0.75,
        hooks: {
          beforeCall: (route) => {
            if (hook.before === route)
              throw new ProtocolError(429, 'RATE_LIMITED', 'Slow down.', { retryAfterMs: 1500 });
            if (hook.fail === route) throw new Error('a bug');
          },
        },
      });
      const id = await newIdentity();
      const token = await mint();
      const res = await register(token, id);
      expect(res.status).toBe(201);
      enrolled = { id, cert: res.json.certificate_pem, serviceId: res.json.service_id, token };
    });
    afterAll(async () => {
      await r?.close();
      await redis?.close();
    });

    it('register: 201 with renew_after and renew_before, and every 400', async () => {
      const id = await newIdentity();
      const ok = await register(await mint(), id);
      expect(ok.status).toBe(201);
      expect(ok.json.service_id).toMatch(/^svc_[0-9a-f]{16}$/);
      const nb = Date.parse(ok.json.renew_after);
      expect(Date.parse(ok.json.renew_before)).toBeGreaterThan(nb);
      expect(Date.parse(ok.json.expires_at)).toBeGreaterThan(Date.parse(ok.json.renew_before));
      expectError(await post('/api/v1/register', undefined, { raw: '{nope' }), 400, 'INVALID_JSON');
      expectError(await post('/api/v1/register', [1]), 400, 'INVALID_JSON');
      const t = await mint();
      const missing = await register(t, id, { csr_pem: undefined });
      expectError(missing, 400, 'VALIDATION_ERROR');
      expect(missing.json.message).toBe('Missing required field: csr_pem');
      expectError(await register(t, id, { service_type: 'robot' }), 400, 'VALIDATION_ERROR');
      expectError(await post('/api/v1/register', registerBody(t, id)), 400, 'MISSING_IDEMPOTENCY_KEY');
      expectError(await register(t, id, {}, 'AAAA'), 400, 'IDEMPOTENCY_KEY_MISMATCH');
      expectError(
        await register(t, id, {
          csr_pem: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
        }),
        400,
        'INVALID_CSR',
      );
      expectError(
        await register(t, id, { csr_pem: undefined, client_cert_pem: ca.certificatePem }),
        400,
        'INVALID_CERTIFICATE',
      );
      // None of the failures above used the token up.
      expect((await register(t, id)).status).toBe(201);
    });

    it('register: 401 unknown / wrong secret / expired, 403 scope, 409 reuse, replay even after the TTL', async () => {
      const id = await newIdentity();
      const unknown = await register(`${'0'.repeat(16)}.secret`, id);
      expectError(unknown, 401, 'INVALID_INSTALL_TOKEN');
      expect(unknown.json.message).toBe('Invalid or expired install token');
      const t = await mint({ controllerName: 'ctl-1' });
      expect((await register(`${t.split('.')[0]}.wrong`, id)).text).toBe(unknown.text);
      expect((await register('garbage', id)).text).toBe(unknown.text);
      expectError(await register(t, id, { controller_name: 'ctl-2' }), 403, 'TOKEN_SCOPE_MISMATCH');
      expectError(await register(t, id, { service_name: 'other' }), 403, 'TOKEN_SCOPE_MISMATCH');
      const first = await register(t, id, { controller_name: 'ctl-1' });
      expect(first.status).toBe(201);
      expectError(
        await register(t, await newIdentity(), { controller_name: 'ctl-1' }),
        409,
        'TOKEN_ALREADY_USED',
      );
      const { token: short } = await r.service.mintInstallToken({ serviceName: 'billing', ttlMs: 60_000 });
      const shortId = await newIdentity();
      const won = await register(short, shortId);
      const base = clock.now();
      clock.setTime(base + 120_000);
      try {
        expect((await register(short, shortId)).text).toBe(won.text);
        expect((await register(t, id, { controller_name: 'ctl-1' })).text).toBe(first.text);
        const late = await mint();
        clock.setTime(base + 17 * 60_000);
        expect((await register(late, await newIdentity())).text).toBe(unknown.text);
      } finally {
        clock.setTime(base);
      }
    });

    it('renew and heartbeat: 200, 401 CLIENT_CERTIFICATE_*, 400 AGENT_ID_MISMATCH', async () => {
      const who = { cert: enrolled.cert, key: enrolled.id.keyPem };
      const renewed = await post('/api/v1/renew', { csr_pem: enrolled.id.csrPem }, who);
      expect(renewed.status).toBe(200);
      expect(renewed.json.renew_after).toBeDefined();
      const hb = await post('/api/v1/agent/heartbeat', heartbeatBody(), who);
      expect(hb.status).toBe(200);
      expect(hb.json).toMatchObject({ status: 'ok', service_id: enrolled.serviceId });
      expectError(
        await post('/api/v1/agent/heartbeat', heartbeatBody('someone-else'), who),
        400,
        'AGENT_ID_MISMATCH',
      );
      expectError(
        await post('/api/v1/renew', { csr_pem: enrolled.id.csrPem }),
        401,
        'CLIENT_CERTIFICATE_REQUIRED',
      );
      const key = await generateKeyPair();
      const stranger = await ca.issue({ csr: await createCsr({ key, subject: { commonName: 'x' } }) });
      expectError(
        await post('/api/v1/agent/heartbeat', heartbeatBody(), {
          cert: stranger.certificatePem,
          key: await exportPrivateKeyPem(key),
        }),
        401,
        'CLIENT_CERTIFICATE_UNKNOWN',
      );
      const base = clock.now();
      clock.setTime(base + 2 * 3_600_000);
      expectError(
        await post('/api/v1/agent/heartbeat', heartbeatBody(), who),
        401,
        'CLIENT_CERTIFICATE_EXPIRED',
      );
      clock.setTime(base - 10 * 60_000);
      expectError(
        await post('/api/v1/agent/heartbeat', heartbeatBody(), who),
        401,
        'CLIENT_CERTIFICATE_NOT_YET_VALID',
      );
      clock.setTime(base);
    });

    it('admin and allocation: 201, 401, 404, 403 POOL_NOT_ALLOWED, 200 revoke then 403 IDENTITY_REVOKED', async () => {
      const admin = { headers: { authorization: `Bearer ${ADMIN}` } };
      const minted = await post(
        '/api/v1/install-tokens',
        { service_name: 'billing', service_type: 'agent', ttl_ms: 60_000 },
        admin,
      );
      expect(minted.status).toBe(201);
      expect(minted.json.install_token).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
      expectError(
        await post('/api/v1/install-tokens', { service_name: 'billing', service_type: 'agent' }),
        401,
        'INVALID_ADMIN_TOKEN',
      );
      expectError(
        await post('/api/v1/admin/revoke', { service_id: 'svc_nope' }, admin),
        404,
        'UNKNOWN_IDENTITY',
      );
      const alloc = await r.service.addAllocationToken({ owner: 'alice', pools: ['gpu'] });
      const bearer = { headers: { authorization: `Bearer ${alloc}` } };
      const ok = await post('/api/v1/worker/allocate', { poolName: 'gpu', namespace: 'team-a' }, bearer);
      expect(ok.status).toBe(200);
      expect(Buffer.from(ok.json.clientCert, 'base64').toString()).toContain('BEGIN CERTIFICATE');
      expectError(
        await post('/api/v1/worker/allocate', { poolName: 'cpu', namespace: 'team-a' }, bearer),
        403,
        'POOL_NOT_ALLOWED',
      );
      expectError(
        await post(
          '/api/v1/worker/allocate',
          { poolName: 'gpu', namespace: 'a' },
          { headers: { authorization: `Bearer ${alloc.split('.')[0]}.x` } },
        ),
        401,
        'INVALID_ALLOCATION_TOKEN',
      );
      expect((await post('/api/v1/cert', { pools: ['gpu'] }, bearer)).status).toBe(200);

      const id = await newIdentity();
      const t = await mint();
      const reg = await register(t, id);
      const revoked = await post('/api/v1/admin/revoke', { agent_id: 'agent-1' }, admin);
      expect(revoked.status).toBe(200);
      expect(revoked.json.revoked).toContain(reg.json.service_id);
      const who = { cert: reg.json.certificate_pem, key: id.keyPem };
      expectError(await post('/api/v1/agent/heartbeat', heartbeatBody(), who), 403, 'IDENTITY_REVOKED');
      expectError(await post('/api/v1/renew', { csr_pem: id.csrPem }, who), 403, 'IDENTITY_REVOKED');
      expectError(await register(t, id), 403, 'IDENTITY_REVOKED');
    });

    it('transport: 404, 405 with Allow, 413, 429 and 500 from hooks', async () => {
      expectError(await post('/nope', {}), 404, 'NOT_FOUND');
      const get = await call(`${r.url}/api/v1/renew`, { ca: ca.certificatePem, method: 'GET' });
      expectError(get, 405, 'METHOD_NOT_ALLOWED');
      expect(get.headers['allow']).toBe('POST');
      const codes: (string | undefined)[] = [];
      r.service.on('request', (e) => codes.push(e.code));
      const big = await post('/api/v1/register', { pad: 'x'.repeat(70 * 1024) }).catch((e: unknown) => e);
      // Node may cut the upload once the 413 is out; either way the body was refused.
      if (!(big instanceof Error)) expectError(big as CallResult, 413, 'PAYLOAD_TOO_LARGE');
      expect(codes).toContain('PAYLOAD_TOO_LARGE');
      hook = { before: 'heartbeat' };
      const limited = await post('/api/v1/agent/heartbeat', heartbeatBody());
      expectError(limited, 429, 'RATE_LIMITED');
      expect([limited.headers['retry-after'], limited.json.retry_after]).toEqual(['2', 2]);
      hook = { fail: 'heartbeat' };
      const failed = await post('/api/v1/agent/heartbeat', heartbeatBody());
      expectError(failed, 500, 'INTERNAL_ERROR');
      expect(failed.text).not.toContain('a bug');
      hook = {};
      expect(r.internalErrors.map((e) => e.message)).toEqual(['a bug']);
      r.internalErrors.length = 0;
    });
  },
);
