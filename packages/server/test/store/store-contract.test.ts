import { inspect } from 'node:util';
import {
  createMemoryStore,
  createRedisStore,
  type RegistrationStore,
  type StoredCertificate,
  type StoredIdentity,
} from '@mtlskit/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.js';

const T0 = Date.UTC(2030, 0, 1);
const token = (id: string, expiresAt = T0 + 60_000) => ({
  id,
  secretHash: 'ab'.repeat(32),
  serviceName: 'billing',
  serviceType: 'agent' as const,
  controllerName: undefined,
  expiresAt,
});
const identity = (serviceId: string, agentId: string): StoredIdentity => ({
  serviceId,
  agentId,
  serviceName: 'billing',
  serviceType: 'agent',
  controllerName: undefined,
  metadata: { agent_id: agentId, hostname: 'h' },
  mode: 'csr',
  registeredAt: T0,
  revoked: false,
  renewals: 0,
  heartbeats: 0,
  lastHeartbeat: undefined,
  certificateFingerprint: `FP:${serviceId}:1`,
  notAfter: T0 + 3_600_000,
});
const cert = (serviceId: string, n: number): StoredCertificate => ({
  fingerprint: `FP:${serviceId}:${n}`,
  serviceId,
  notBefore: T0,
  notAfter: T0 + 3_600_000,
});
const claim = (spki: string, serviceId: string, now = T0) => ({
  spki,
  serviceId,
  now,
  leaseMs: 30_000,
  keepMs: 600_000,
});

describe.each(['memory', 'redis'] as const)('RegistrationStore contract (%s)', (kind) => {
  let redis: RedisServer | undefined;
  let store: RegistrationStore;
  let n = 0;
  const id = () => `${kind}${String(++n).padStart(16 - kind.length, '0')}`;

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedisServer();
    store =
      kind === 'redis' ? createRedisStore({ url: redis!.url, keyPrefix: 'contract:' }) : createMemoryStore();
    await store.ready();
  });
  afterAll(async () => {
    await store?.close();
    await redis?.close();
  });

  it('claims a token once; the same key takes over a stale lease; first completion wins', async () => {
    const t = id();
    expect(await store.claimInstallToken(t, claim('k1', 'svc_a'))).toEqual({ kind: 'missing' });
    await store.putInstallToken(token(t), 60_000);
    expect(await store.claimInstallToken(t, claim('k1', 'svc_a'))).toEqual({
      kind: 'claimed',
      serviceId: 'svc_a',
    });
    const taken = await store.claimInstallToken(t, claim('k2', 'svc_b'));
    expect(taken).toMatchObject({
      kind: 'taken',
      claim: { spki: 'k1', serviceId: 'svc_a', response: undefined },
    });
    // Same key while the lease runs: taken (wait); after it: taken over with the same service id.
    expect((await store.claimInstallToken(t, claim('k1', 'svc_c', T0 + 1000))).kind).toBe('taken');
    expect(await store.claimInstallToken(t, claim('k1', 'svc_c', T0 + 31_000))).toEqual({
      kind: 'claimed',
      serviceId: 'svc_a',
    });
    expect(await store.completeClaim(t, 'k2', '{"x":2}')).toBeUndefined();
    expect(await store.completeClaim(t, 'k1', '{"x":1}')).toBe('{"x":1}');
    expect(await store.completeClaim(t, 'k1', '{"x":3}')).toBe('{"x":1}');
    const got = await store.getInstallToken(t);
    expect(got?.claim).toMatchObject({ spki: 'k1', serviceId: 'svc_a', response: '{"x":1}' });
    expect(got?.token).toEqual(token(t));
    // A completed claim is never taken over, whatever the lease says.
    expect((await store.claimInstallToken(t, claim('k1', 'svc_d', T0 + 10 * 60_000))).kind).toBe('taken');
  });

  it('refuses an expired token, and gives a released claim back', async () => {
    const t = id();
    await store.putInstallToken(token(t, T0 + 1000), 60_000);
    expect(await store.claimInstallToken(t, claim('k', 's', T0 + 1000))).toEqual({ kind: 'expired' });
    const u = id();
    await store.putInstallToken(token(u), 60_000);
    expect((await store.claimInstallToken(u, claim('k', 's1'))).kind).toBe('claimed');
    await store.releaseClaim(u, 'other');
    expect((await store.claimInstallToken(u, claim('k2', 's2'))).kind).toBe('taken');
    await store.releaseClaim(u, 'k');
    expect(await store.claimInstallToken(u, claim('k2', 's2'))).toEqual({ kind: 'claimed', serviceId: 's2' });
  });

  it('authenticates certificates, adds renewals unless revoked, revokes by service id or agent id', async () => {
    const sid = `svc_${id()}`;
    const agentId = `agent-${sid}`;
    await store.putIdentity(identity(sid, agentId), cert(sid, 1), 600_000);
    const other = `svc_${id()}`;
    await store.putIdentity(identity(other, agentId), cert(other, 1), 600_000);
    expect(await store.authenticate('FP:nope')).toBeUndefined();
    const a = await store.authenticate(`FP:${sid}:1`);
    expect(a?.identity).toEqual(identity(sid, agentId));
    expect(a?.certificate).toEqual(cert(sid, 1));
    expect(await store.addCertificate(cert(sid, 2), 600_000)).toBe('ok');
    expect(await store.addCertificate(cert('svc_missing', 2), 600_000)).toBe('missing');
    await store.recordHeartbeat(sid, {
      receivedAt: T0,
      status: 'degraded',
      timestamp: 'x',
      metrics: { cpu_usage: 1 },
    });
    const after = await store.getIdentity(sid);
    expect(after).toMatchObject({ renewals: 1, heartbeats: 1, certificateFingerprint: `FP:${sid}:2` });
    expect(after?.lastHeartbeat).toEqual({
      receivedAt: T0,
      status: 'degraded',
      timestamp: 'x',
      metrics: { cpu_usage: 1 },
    });
    expect((await store.authenticate(`FP:${sid}:1`))?.identity.serviceId).toBe(sid);
    expect(await store.revoke('nobody')).toEqual([]);
    expect((await store.revoke(agentId)).sort()).toEqual([sid, other].sort());
    expect((await store.authenticate(`FP:${sid}:2`))?.identity.revoked).toBe(true);
    expect(await store.addCertificate(cert(sid, 3), 600_000)).toBe('revoked');
    expect(await store.authenticate(`FP:${sid}:3`)).toBeUndefined();
    // Writing the identity again (a same-key takeover) does not undo the revocation.
    await store.putIdentity(identity(sid, agentId), cert(sid, 4), 600_000);
    expect(await store.getIdentity(sid)).toMatchObject({ revoked: true, renewals: 1, heartbeats: 1 });
  });

  it('keeps allocation tokens and counts', async () => {
    await store.putAllocationToken({
      id: 'tok1',
      secretHash: 'cd'.repeat(32),
      owner: 'alice',
      pools: ['gpu'],
    });
    expect(await store.getAllocationToken('tok1')).toEqual({
      id: 'tok1',
      secretHash: 'cd'.repeat(32),
      owner: 'alice',
      pools: ['gpu'],
    });
    expect(await store.getAllocationToken('tok2')).toBeUndefined();
    const s = await store.stats();
    expect(s.registrations).toBeGreaterThanOrEqual(1);
    expect(s.renewals).toBeGreaterThanOrEqual(1);
  });
});

describe('createRedisStore', () => {
  it('fails fast with ERR_MTLS_STORE_UNAVAILABLE when nothing listens, and never shows the password', async () => {
    const port = await freePort();
    const store = createRedisStore({
      url: `redis://:canary-pw-123@127.0.0.1:${port}`,
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
    });
    try {
      const started = Date.now();
      const e = await store.getIdentity('svc_x').catch((err: unknown) => err);
      expect(Date.now() - started).toBeLessThan(500);
      expect(e).toMatchObject({ code: 'ERR_MTLS_STORE_UNAVAILABLE', details: { retryAfterMs: 1000 } });
      await new Promise((r) => setTimeout(r, 300));
      const again = await store.getIdentity('svc_x').catch((err: unknown) => err);
      for (const text of [String(e), String(again), JSON.stringify(e), inspect(store), JSON.stringify(store)])
        expect(text).not.toContain('canary-pw-123');
      const aborted = new AbortController();
      setTimeout(() => aborted.abort(), 100);
      await expect(store.ready({ signal: aborted.signal })).rejects.toMatchObject({
        code: 'ERR_MTLS_STORE_UNAVAILABLE',
      });
    } finally {
      await store.close();
    }
  });

  it('uses an existing ioredis client and leaves it open on close()', async () => {
    const redis = await startRedisServer();
    const client = new Redis(redis.url, { enableOfflineQueue: false });
    try {
      await new Promise((r) => client.once('ready', r));
      const store = createRedisStore({ client, keyPrefix: 'shared:' });
      await store.ready();
      await store.putAllocationToken({
        id: 'tok',
        secretHash: 'ef'.repeat(32),
        owner: 'bob',
        pools: undefined,
      });
      expect((await store.getAllocationToken('tok'))?.owner).toBe('bob');
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      await expect(store.getAllocationToken('tok')).rejects.toMatchObject({
        code: 'ERR_MTLS_STORE_UNAVAILABLE',
      });
    } finally {
      client.disconnect();
      await redis.close();
    }
  });

  it('checks its options', () => {
    expect(() => createRedisStore({ url: 'http://x' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    expect(() => createRedisStore({ keyPrefix: 'a b' })).toThrow(/keyPrefix/);
    expect(() => createRedisStore({ commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
  });
});
