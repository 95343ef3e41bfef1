import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../testkit/test/support/call.js';
import { heartbeatBody, newIdentity, registerBody } from '../../../testkit/test/support/identity.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type Replica, serverIdentity, startReplica } from '../support/replica.js';

describe('Redis stopped in the middle of a run', () => {
  let redis: RedisServer;
  let ca: CertificateAuthority;
  let replica: Replica;
  const storeErrors: Error[] = [];

  beforeAll(async () => {
    // Append-only file: the data survives the restart, as with a Redis that has persistence.
    redis = await startRedisServer({ persist: true });
    ca = await createCertificateAuthority({ subject: { commonName: 'outage test CA' } });
    replica = await startReplica(ca, await serverIdentity(ca), { redisUrl: redis.url, retryAfterMs: 2000 });
    replica.service.on('store-error', (e) => storeErrors.push(e));
  });
  afterAll(async () => {
    await replica?.close();
    await redis?.close();
  });

  it('answers 503 with Retry-After while Redis is down, never 500 or a hang, and resumes by itself when it returns', async () => {
    const id = await newIdentity();
    const { token } = await replica.service.mintInstallToken({ serviceName: 'billing' });
    const first = await call(`${replica.url}/api/v1/register`, {
      ca: ca.certificatePem,
      body: registerBody(token, id),
      headers: { 'idempotency-key': id.idempotencyKey },
    });
    expect(first.status).toBe(201);
    const who = { cert: first.json.certificate_pem as string, key: id.keyPem };
    const heartbeat = () =>
      call(`${replica.url}/api/v1/agent/heartbeat`, { ca: ca.certificatePem, ...who, body: heartbeatBody() });
    expect((await heartbeat()).status).toBe(200);

    await redis.stop();
    const started = Date.now();
    const down = [
      await heartbeat(),
      await call(`${replica.url}/api/v1/renew`, {
        ca: ca.certificatePem,
        ...who,
        body: { csr_pem: id.csrPem },
      }),
      await call(`${replica.url}/api/v1/register`, {
        ca: ca.certificatePem,
        body: registerBody(token, id),
        headers: { 'idempotency-key': id.idempotencyKey },
      }),
      await call(`${replica.url}/api/v1/admin/revoke`, {
        ca: ca.certificatePem,
        headers: { authorization: 'Bearer test-admin-token-0123456789' },
        body: { service_id: first.json.service_id },
      }),
    ];
    const elapsed = Date.now() - started;
    for (const r of down) {
      expect([r.status, r.json.code, r.headers['retry-after'], r.json.retry_after]).toEqual([
        503,
        'SERVICE_UNAVAILABLE',
        '2',
        2,
      ]);
    }
    // Four calls, each answered at once (no 2 s command timeout was needed: the client knows it is offline).
    expect(elapsed).toBeLessThan(4000);
    await expect(replica.service.mintInstallToken({ serviceName: 'billing' })).rejects.toMatchObject({
      code: 'ERR_MTLS_STORE_UNAVAILABLE',
    });
    expect(storeErrors.length).toBeGreaterThanOrEqual(4);
    expect(storeErrors.every((e) => (e as { code?: string }).code === 'ERR_MTLS_STORE_UNAVAILABLE')).toBe(
      true,
    );

    await redis.start();
    const deadline = Date.now() + 20_000;
    let again = await heartbeat();
    while (again.status !== 200 && Date.now() < deadline) {
      expect(again.status).toBe(503);
      await new Promise((r) => setTimeout(r, 200));
      again = await heartbeat();
    }
    expect(again.status).toBe(200);
    // The registration made before the outage is still replayed, and new ones work.
    const replay = await call(`${replica.url}/api/v1/register`, {
      ca: ca.certificatePem,
      body: registerBody(token, id),
      headers: { 'idempotency-key': id.idempotencyKey },
    });
    expect(replay.text).toBe(first.text);
    const other = await newIdentity();
    const { token: t2 } = await replica.service.mintInstallToken({ serviceName: 'billing' });
    const fresh = await call(`${replica.url}/api/v1/register`, {
      ca: ca.certificatePem,
      body: registerBody(t2, other),
      headers: { 'idempotency-key': other.idempotencyKey },
    });
    expect(fresh.status).toBe(201);
    expect(replica.internalErrors).toEqual([]);
  }, 60_000);

  it('answers 503 after the command timeout when Redis hangs (frozen process), and recovers when it thaws', async () => {
    const hung = await startReplica(ca, await serverIdentity(ca), {
      redisUrl: redis.url,
      keyPrefix: 'hang:',
      storeOptions: { commandTimeoutMs: 500 },
    });
    try {
      const id = await newIdentity();
      const { token } = await hung.service.mintInstallToken({ serviceName: 'billing' });
      const ok = await call(`${hung.url}/api/v1/register`, {
        ca: ca.certificatePem,
        body: registerBody(token, id),
        headers: { 'idempotency-key': id.idempotencyKey },
      });
      expect(ok.status).toBe(201);
      const who = { cert: ok.json.certificate_pem as string, key: id.keyPem };
      redis.pause();
      const started = Date.now();
      const r = await call(`${hung.url}/api/v1/agent/heartbeat`, {
        ca: ca.certificatePem,
        ...who,
        body: heartbeatBody(),
      });
      const elapsed = Date.now() - started;
      redis.resume();
      expect([r.status, r.json.code, r.headers['retry-after']]).toEqual([503, 'SERVICE_UNAVAILABLE', '1']);
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(3000);
      const deadline = Date.now() + 10_000;
      let again = await call(`${hung.url}/api/v1/agent/heartbeat`, {
        ca: ca.certificatePem,
        ...who,
        body: heartbeatBody(),
      });
      while (again.status !== 200 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 100));
        again = await call(`${hung.url}/api/v1/agent/heartbeat`, {
          ca: ca.certificatePem,
          ...who,
          body: heartbeatBody(),
        });
      }
      expect(again.status).toBe(200);
      expect(hung.internalErrors).toEqual([]);
    } finally {
      redis.resume();
      await hung.close();
    }
  }, 30_000);
});
