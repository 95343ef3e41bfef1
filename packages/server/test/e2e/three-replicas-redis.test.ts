import { Agent } from 'node:https';
import { type CertificateAuthority, createCertificateAuthority, createCsr } from '@mtlskit/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, call } from '../../../testkit/test/support/call.js';
import {
  heartbeatBody,
  newIdentity,
  registerBody,
  type TestIdentity,
} from '../../../testkit/test/support/identity.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type Replica, serverIdentity, startReplica } from '../support/replica.js';

const TOKENS = 20;
const PREFIX = 'itest:';

describe('three replicas, each with its own connection, on one real redis-server', () => {
  let redis: RedisServer;
  let ca: CertificateAuthority;
  let tls: { cert: string; key: string };
  let replicas: Replica[];
  let agent: Agent;

  const start = () =>
    Promise.all([0, 1, 2].map(() => startReplica(ca, tls, { redisUrl: redis.url, keyPrefix: PREFIX })));
  const register = (r: Replica, token: string, id: TestIdentity, agentId: string): Promise<CallResult> =>
    call(`${r.url}/api/v1/register`, {
      ca: ca.certificatePem,
      agent,
      body: registerBody(token, id, { metadata: { agent_id: agentId } }),
      headers: { 'idempotency-key': id.idempotencyKey },
    });
  const mtls = (r: Replica, path: string, who: { cert: string; key: string }, body: unknown) =>
    call(`${r.url}${path}`, { ca: ca.certificatePem, cert: who.cert, key: who.key, body });

  beforeAll(async () => {
    redis = await startRedisServer();
    ca = await createCertificateAuthority({ subject: { commonName: 'replica test CA' } });
    tls = await serverIdentity(ca);
    replicas = await start();
    agent = new Agent({ keepAlive: true, maxSockets: 64 });
  });
  afterEach(() => {
    for (const r of replicas) expect(r.internalErrors).toEqual([]);
  });
  afterAll(async () => {
    agent?.destroy();
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await redis?.close();
  });

  it('20 tokens, each sent at once by three keys to three replicas: exactly 20 registrations; the winner replayed elsewhere gets the same service_id', async () => {
    const ids = await Promise.all(Array.from({ length: TOKENS * 3 }, (_, i) => newIdentity(`racer-${i}`)));
    const tokens = await Promise.all(
      Array.from({ length: TOKENS }, (_, i) =>
        replicas[i % 3]!.service.mintInstallToken({ serviceName: 'billing' }),
      ),
    );
    const before = await replicas[0]!.service.store.stats();
    const answers = await Promise.all(
      tokens.map((t, i) =>
        Promise.all(
          [0, 1, 2].map((r) => register(replicas[r]!, t.token, ids[i * 3 + r]!, `racer-${i}-${r}`)),
        ),
      ),
    );
    let winners = 0;
    for (const [i, round] of answers.entries()) {
      const won = round.filter((a) => a.status === 201);
      const lost = round.filter((a) => a.status !== 201);
      expect(won).toHaveLength(1);
      expect(lost.map((a) => [a.status, a.json.code])).toEqual([
        [409, 'TOKEN_ALREADY_USED'],
        [409, 'TOKEN_ALREADY_USED'],
      ]);
      winners += won.length;
      // Replay the winning key on the next replica: the same 201, byte for byte.
      const w = round.findIndex((a) => a.status === 201);
      const replay = await register(
        replicas[(w + 1) % 3]!,
        tokens[i]!.token,
        ids[i * 3 + w]!,
        `racer-${i}-${w}`,
      );
      expect(replay.status).toBe(201);
      expect(replay.json.service_id).toBe(won[0]!.json.service_id);
      expect(replay.text).toBe(won[0]!.text);
    }
    expect(winners).toBe(TOKENS);
    const after = await replicas[2]!.service.store.stats();
    expect(after.registrations - before.registrations).toBe(TOKENS);
    const serviceIds = new Set(
      answers
        .flat()
        .filter((a) => a.status === 201)
        .map((a) => a.json.service_id),
    );
    expect(serviceIds.size).toBe(TOKENS);
  }, 60_000);

  it('registers on A, renews on B, heartbeats on C; a revoke on A is a 403 on B and C; after a restart of all replicas the others keep working and the revoked stays revoked', async () => {
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const keep = await newIdentity('keep');
    const gone = await newIdentity('gone');
    const enrol = async (id: TestIdentity, agentId: string) => {
      const { token } = await a.service.mintInstallToken({ serviceName: 'billing' });
      const res = await register(a, token, id, agentId);
      expect(res.status).toBe(201);
      return {
        cert: res.json.certificate_pem as string,
        key: id.keyPem,
        serviceId: res.json.service_id as string,
        token,
        id,
      };
    };
    const k = await enrol(keep, 'agent-keep');
    const g = await enrol(gone, 'agent-gone');

    const renewed = await mtls(b, '/api/v1/renew', k, {
      csr_pem: await createCsr({ key: keep.key, subject: { commonName: 'x' } }),
    });
    expect(renewed.status).toBe(200);
    const k2 = { ...k, cert: renewed.json.certificate_pem as string };
    const hb = await mtls(c, '/api/v1/agent/heartbeat', k2, heartbeatBody('agent-keep'));
    expect(hb.status).toBe(200);
    expect(hb.json.service_id).toBe(k.serviceId);
    expect((await c.service.store.getIdentity(k.serviceId))?.renewals).toBe(1);

    const revoke = await call(`${a.url}/api/v1/admin/revoke`, {
      ca: ca.certificatePem,
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
      body: { service_id: g.serviceId },
    });
    expect(revoke.status).toBe(200);
    expect(revoke.json.revoked).toEqual([g.serviceId]);
    for (const r of [b, c]) {
      const h = await mtls(r, '/api/v1/agent/heartbeat', g, heartbeatBody('agent-gone'));
      expect([h.status, h.json.code]).toEqual([403, 'IDENTITY_REVOKED']);
      const n = await mtls(r, '/api/v1/renew', g, { csr_pem: gone.csrPem });
      expect([n.status, n.json.code]).toEqual([403, 'IDENTITY_REVOKED']);
    }
    // A register replay with the revoked identity's token and key is refused too.
    const replay = await register(b, g.token, g.id, 'agent-gone');
    expect([replay.status, replay.json.code]).toEqual([403, 'IDENTITY_REVOKED']);

    await Promise.all(replicas.map((r) => r.close()));
    replicas = await start();
    const [a2, b2, c2] = replicas as [Replica, Replica, Replica];
    // The older certificate of "keep" still authenticates too (any valid certificate of the identity).
    expect((await mtls(a2, '/api/v1/agent/heartbeat', k, heartbeatBody('agent-keep'))).status).toBe(200);
    expect((await mtls(b2, '/api/v1/agent/heartbeat', k2, heartbeatBody('agent-keep'))).status).toBe(200);
    expect((await mtls(c2, '/api/v1/renew', k2, { csr_pem: keep.csrPem })).status).toBe(200);
    for (const r of replicas) {
      const h = await mtls(r, '/api/v1/agent/heartbeat', g, heartbeatBody('agent-gone'));
      expect([h.status, h.json.code]).toEqual([403, 'IDENTITY_REVOKED']);
    }
  }, 60_000);

  it('a token past its TTL is a 401 on every replica, like an unknown one', async () => {
    const { token } = await replicas[0]!.service.mintInstallToken({ serviceName: 'billing', ttlMs: 300 });
    await new Promise((r) => setTimeout(r, 700));
    const id = await newIdentity();
    for (const r of replicas) {
      const res = await register(r, token, id, 'late');
      expect([res.status, res.json.code, res.json.message]).toEqual([
        401,
        'INVALID_INSTALL_TOKEN',
        'Invalid or expired install token',
      ]);
    }
  });

  it('keeps no secret in Redis, puts every key under the prefix with a TTL', async () => {
    const { token } = await replicas[1]!.service.mintInstallToken({ serviceName: 'billing' });
    const id = await newIdentity();
    expect((await register(replicas[2]!, token, id, 'canary')).status).toBe(201);
    const secret = token.split('.')[1]!;
    const plainBearer = 'plain-bearer-token-canary-42';
    await replicas[0]!.service.addAllocationToken({ token: plainBearer, owner: 'gateway' });
    const probe = new Redis(redis.url);
    try {
      let cursor = '0';
      const keys: string[] = [];
      do {
        const [next, batch] = await probe.scan(cursor, 'COUNT', 500);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.startsWith(PREFIX)).toBe(true);
        if (key !== `${PREFIX}stats` && !key.startsWith(`${PREFIX}alloc:`))
          expect(await probe.pttl(key)).toBeGreaterThan(0);
        const type = await probe.type(key);
        const dump =
          type === 'hash'
            ? JSON.stringify(await probe.hgetall(key))
            : type === 'set'
              ? (await probe.smembers(key)).join()
              : String(await probe.get(key));
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(token);
        expect(`${key} ${dump}`).not.toContain(plainBearer);
      }
    } finally {
      probe.disconnect();
    }
  });
});
