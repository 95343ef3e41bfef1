import { keyMatchesCertificate, parseCertificate } from '@mtlskit/core';
import { BackendFaults, createTestBackend, type TestBackend } from '@mtlskit/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../support/call.js';
import { heartbeatBody, newIdentity, registerBody, type TestIdentity } from '../support/identity.js';
import { opensslVerify } from '../support/openssl.js';

describe('BackendFaults', () => {
  let backend: TestBackend;
  let a: TestIdentity;
  let b: TestIdentity;

  beforeAll(async () => {
    backend = await createTestBackend();
    [a, b] = await Promise.all([newIdentity('a'), newIdentity('b')]);
  });
  afterAll(() => backend.close());
  beforeEach(() => {
    backend.faults.clear();
  });

  const register = (token: string, id: TestIdentity = a, agentId = 'agent-1') =>
    call(`${backend.url}/api/v1/register`, {
      ca: backend.caPem,
      body: registerBody(token, id, { metadata: { agent_id: agentId } }),
      headers: { 'idempotency-key': id.idempotencyKey },
    });
  const renew = (cert: string, key: TestIdentity, csrOf: TestIdentity) =>
    call(`${backend.url}/api/v1/renew`, {
      ca: backend.caPem,
      cert,
      key: key.keyPem,
      body: { csr_pem: csrOf.csrPem },
    });

  it('rateLimit: 429 with Retry-After (seconds, rounded up) for the next N calls, then normal', async () => {
    backend.faults.rateLimit('register', { times: 2, retryAfterMs: 1500 });
    const token = backend.mintInstallToken({ serviceName: 'billing' });
    for (let i = 0; i < 2; i++) {
      const r = await register(token, a, 'agent-429');
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('2');
      expect(r.json).toEqual({
        error: 'Too Many Requests',
        message: expect.any(String),
        code: 'RATE_LIMITED',
        retry_after: 2,
      });
    }
    expect((await register(token, a, 'agent-429')).status).toBe(201);
  });

  it('unavailable: 503 with Retry-After, only on the armed route', async () => {
    backend.faults.unavailable('heartbeat', { retryAfterMs: 0 });
    const token = backend.mintInstallToken({ serviceName: 'billing' });
    const reg = await register(token, a, 'agent-503');
    expect(reg.status).toBe(201);
    const hb = () =>
      call(`${backend.url}/api/v1/agent/heartbeat`, {
        ca: backend.caPem,
        cert: reg.json.certificate_pem,
        key: a.keyPem,
        body: heartbeatBody('agent-503'),
      });
    const first = await hb();
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('0');
    expect(first.json.code).toBe('SERVICE_UNAVAILABLE');
    expect((await hb()).status).toBe(200);
  });

  it('delay holds the calls of a route for real time', async () => {
    backend.faults.delay('install-tokens', 300, { times: 1 });
    const send = () =>
      call(`${backend.url}/api/v1/install-tokens`, {
        ca: backend.caPem,
        body: { service_name: 'billing', service_type: 'agent' },
        headers: { authorization: `Bearer ${backend.adminToken}` },
      });
    let t = performance.now();
    expect((await send()).status).toBe(201);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    t = performance.now();
    expect((await send()).status).toBe(201);
    expect(performance.now() - t).toBeLessThan(290);
  });

  it('dropResponseAfterCommit on register: registered once, the retry with the same token and key gets the answer', async () => {
    backend.faults.dropResponseAfterCommit('register');
    const token = backend.mintInstallToken({ serviceName: 'billing' });
    const before = backend.registrations;
    await expect(register(token, a, 'agent-drop')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(backend.registrations).toBe(before + 1);
    const log = backend.requests.at(-1)!;
    expect(log).toMatchObject({ route: 'register', status: 0, dropped: true });
    const retry = await register(token, a, 'agent-drop');
    expect(retry.status).toBe(201);
    expect(retry.json.service_id).toBe(backend.agent('agent-drop')!.serviceId);
    expect(await keyMatchesCertificate(a.keyPem, retry.json.certificate_pem)).toBe(true);
    expect(backend.registrations).toBe(before + 1);
    expect((await register(token, b, 'agent-drop')).status).toBe(409);
  });

  it('errors do not use up a drop fault: only a committed call is dropped', async () => {
    backend.faults.dropResponseAfterCommit('register');
    const token = backend.mintInstallToken({ serviceName: 'billing' });
    const bad = await call(`${backend.url}/api/v1/register`, {
      ca: backend.caPem,
      body: registerBody('x.y', a),
      headers: { 'idempotency-key': a.idempotencyKey },
    });
    expect(bad.status).toBe(401);
    await expect(register(token, a, 'agent-drop-2')).rejects.toThrow();
  });

  it('dropResponseAfterCommit on renew: the renewal is stored, a retry with the old certificate works', async () => {
    const reg = await register(backend.mintInstallToken({ serviceName: 'billing' }), a, 'agent-drop-renew');
    backend.faults.dropResponseAfterCommit('renew');
    await expect(renew(reg.json.certificate_pem, a, b)).rejects.toThrow();
    expect(backend.agent('agent-drop-renew')!.renewals).toBe(1);
    const retry = await renew(reg.json.certificate_pem, a, b);
    expect(retry.status).toBe(200);
    expect(backend.agent('agent-drop-renew')!.renewals).toBe(2);
  });

  it('nextRenew: wrong key, expired, foreign CA — answered once, never stored', async () => {
    const reg = await register(backend.mintInstallToken({ serviceName: 'billing' }), a, 'agent-bad-renew');
    const cert = reg.json.certificate_pem as string;
    backend.faults.nextRenew('wrong-key').nextRenew('expired').nextRenew('foreign-ca');

    const wrong = await renew(cert, a, b);
    expect(wrong.status).toBe(200);
    expect(await keyMatchesCertificate(b.keyPem, wrong.json.certificate_pem)).toBe(false);
    expect((await opensslVerify(backend.caPem, wrong.json.certificate_pem, 'sslclient')).ok).toBe(true);

    const expired = await renew(cert, a, b);
    const info = parseCertificate(expired.json.certificate_pem);
    expect(await keyMatchesCertificate(b.keyPem, expired.json.certificate_pem)).toBe(true);
    expect(info.notAfter.getTime()).toBeLessThan(Date.now());
    expect(expired.json.expires_at).toBe(info.notAfter.toISOString());

    const foreign = await renew(cert, a, b);
    expect(await keyMatchesCertificate(b.keyPem, foreign.json.certificate_pem)).toBe(true);
    expect(foreign.json.ca_pem).not.toBe(backend.caPem);
    // Same CA name, another key: the "CA was regenerated" case.
    expect(parseCertificate(foreign.json.ca_pem).subject).toBe(parseCertificate(backend.caPem).subject);
    expect((await opensslVerify(backend.caPem, foreign.json.certificate_pem, 'sslclient')).ok).toBe(false);
    expect((await opensslVerify(foreign.json.ca_pem, foreign.json.certificate_pem, 'sslclient')).ok).toBe(
      true,
    );

    expect(backend.agent('agent-bad-renew')!.renewals).toBe(0);
    expect(backend.agent('agent-bad-renew')!.certificateFingerprints).toHaveLength(1);
    const good = await renew(cert, a, b);
    expect(await keyMatchesCertificate(b.keyPem, good.json.certificate_pem)).toBe(true);
    expect(backend.agent('agent-bad-renew')!.renewals).toBe(1);
  });

  it('clockOffsetMs shifts the dates of issued certificates and token expiry', async () => {
    backend.faults.clockOffsetMs = 2 * 3_600_000;
    const token = backend.mintInstallToken({ serviceName: 'billing', ttlMs: 60_000 });
    const reg = await register(token, a, 'agent-skew');
    const info = parseCertificate(reg.json.certificate_pem);
    // notBefore is two hours ahead of the real clock (less the default backdate of 60 s).
    expect(info.notBefore.getTime() - Date.now()).toBeGreaterThan(2 * 3_600_000 - 62_000);
    expect(backend.now() - Date.now()).toBeGreaterThanOrEqual(2 * 3_600_000 - 50);
    const later = backend.mintInstallToken({ serviceName: 'billing', ttlMs: 60_000 });
    backend.faults.clockOffsetMs += 61_000;
    const r = await register(later, b, 'agent-skew-2');
    expect(r.status).toBe(401);
    expect(r.json.message).toBe('Invalid or expired install token');
  });

  it('clear() disarms everything; bad arguments throw', () => {
    const f = new BackendFaults();
    f.rateLimit('renew', { times: 3 })
      .delay('renew', 5)
      .dropResponseAfterCommit('renew')
      .nextRenew('expired');
    f.clockOffsetMs = 5;
    f.clear();
    expect([
      f.takeStatus('renew'),
      f.takeDelay('renew'),
      f.takeDrop('renew'),
      f.takeBadRenewal(),
      f.clockOffsetMs,
    ]).toEqual([undefined, 0, false, undefined, 0]);
    expect(() => f.rateLimit('renew', { times: 0 })).toThrow(RangeError);
    expect(() => f.delay('renew', -1)).toThrow(RangeError);
    expect(() => f.unavailable('renew', { retryAfterMs: Number.NaN })).toThrow(RangeError);
    expect(() => f.nextRenew('bogus' as never)).toThrow(TypeError);
    f.rateLimit('renew', { times: 2 }).unavailable('renew');
    expect([
      f.takeStatus('renew')?.status,
      f.takeStatus('renew')?.status,
      f.takeStatus('renew')?.status,
      f.takeStatus('renew'),
    ]).toEqual([429, 429, 503, undefined]);
  });
});
