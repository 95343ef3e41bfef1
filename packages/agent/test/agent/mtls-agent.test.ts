import { X509Certificate } from 'node:crypto';
import { createAgent, MemoryStore, type MtlsAgent } from '@mtlskit/agent';
import { createCertificateAuthority, isMtlsError, parseCsr } from '@mtlskit/core';
import { FakeClock } from '@mtlskit/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { nextEvent, recordEvents, waitFor } from '../lib/helpers.js';
import {
  type ProtocolServer,
  type ProtocolServerOptions,
  startProtocolServer,
} from '../lib/protocol-server.js';

const TOKEN = 'tokid.very-secret-install-token-0001';
const HOUR = 3_600_000;

interface Setup {
  clock: FakeClock;
  server: ProtocolServer;
  store: MemoryStore;
  agent: MtlsAgent;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup(
  opts: {
    server?: ProtocolServerOptions;
    agent?: Partial<Parameters<typeof createAgent>[0]>;
    store?: MemoryStore;
  } = {},
): Promise<Setup> {
  const clock = new FakeClock({ now: Date.now() });
  const server = await startProtocolServer({
    now: () => clock.now(),
    tokens: { [TOKEN]: 'svc' },
    lifetimeMs: HOUR,
    ...opts.server,
  });
  open.push(server);
  const store = opts.store ?? new MemoryStore();
  const agent = createAgent({
    backendUrl: server.url,
    trustAnchors: server.caPem,
    installToken: TOKEN,
    serviceName: 'svc',
    store,
    clock,
    heartbeat: { enabled: false },
    renewal: { jitter: 0, random: () => 0.5 },
    ...opts.agent,
  });
  open.push(agent);
  return { clock, server, store, agent };
}

const renewCalls = (s: ProtocolServer): number => s.requests.filter((r) => r.route === 'renew').length;

describe('MtlsAgent renewal loop (FakeClock, real TLS)', () => {
  it('renews at the computed time (2/3 of the lifetime) and not before', async () => {
    const { clock, server, agent } = await setup();
    const first = await agent.start();
    const expectedAt = clock.now() + (first.notAfter.getTime() - clock.now()) * (2 / 3);
    expect(Math.abs(agent.status().nextRenewalAt!.getTime() - expectedAt)).toBeLessThan(5);
    await clock.advanceAsync(expectedAt - clock.now() - 1000);
    expect(renewCalls(server)).toBe(0);
    expect(agent.state).toBe('active');
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(2000);
    const r = await renewed;
    expect(r.credentials.generation).toBe(2);
    expect(agent.current().generation).toBe(2);
    expect(renewCalls(server)).toBe(1);
    // The next renewal is planned from the new certificate.
    expect(agent.status().nextRenewalAt!.getTime()).toBeGreaterThan(clock.now() + 0.6 * HOUR);
    // One timer drives everything.
    expect(clock.pendingTimers).toBe(1);
  });

  it('notices a wall-clock jump (suspended machine) at the next wall-clock check', async () => {
    const { clock, server, agent } = await setup({ agent: { wallClockCheckMs: 60_000 } });
    const first = await agent.start();
    // The machine slept: wall time moved 50 minutes, monotonic timers did not.
    clock.setTime(clock.now() + 50 * 60_000);
    expect(first.notAfter.getTime()).toBeGreaterThan(clock.now());
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(60_000);
    await renewed;
    expect(renewCalls(server)).toBe(1);
  });

  it('follows a renew_after hint from the backend', async () => {
    const { clock, agent, server } = await setup({
      server: { renewAfter: (nb) => nb + 60_000 + 10 * 60_000 },
    });
    await agent.start();
    const hinted = Date.parse(String(server.registrations[0]!.response['renew_after']));
    expect(agent.status().nextRenewalAt!.getTime()).toBe(hinted);
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(hinted - clock.now() + 10);
    await renewed;
  });

  it('backs off on failure, honours Retry-After, and recovers', async () => {
    const { clock, server, agent } = await setup();
    await agent.start();
    server.faults.set('renew', [
      { status: 429, headers: { 'retry-after': '60' } },
      { status: 503, body: { error: 'down', message: 'maintenance', code: 'down' } },
    ]);
    const failed = nextEvent(agent, 'renewal-failed');
    await clock.advanceAsync(agent.status().nextRenewalAt!.getTime() - clock.now());
    const f1 = await failed;
    expect(f1.attempt).toBe(1);
    expect(f1.cause.code).toBe('ERR_MTLS_RATE_LIMITED');
    expect(f1.cause.details?.['retryAfterMs']).toBe(60_000);
    const waitMs = f1.nextRetryAt.getTime() - clock.now();
    expect(waitMs).toBeGreaterThanOrEqual(59_000);
    expect(waitMs).toBeLessThanOrEqual(60_000);
    expect(agent.state).toBe('active');
    await clock.advanceAsync(waitMs - 2000);
    expect(renewCalls(server)).toBe(1);
    const failed2 = nextEvent(agent, 'renewal-failed');
    await clock.advanceAsync(2000);
    const f2 = await failed2;
    expect(f2.attempt).toBe(2);
    expect(f2.cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(f2.cause.message).toContain('maintenance');
    // Full jitter with ceiling 2 s on attempt 2.
    expect(f2.nextRetryAt.getTime() - clock.now()).toBeLessThanOrEqual(2000);
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(f2.nextRetryAt.getTime() - clock.now() + 1);
    expect((await renewed).credentials.generation).toBe(2);
    expect(agent.status().counters).toMatchObject({ renewals: 1, renewalFailures: 2 });
  });

  it('caps the backoff by the time left before expiry', async () => {
    const { clock, server, agent } = await setup({ agent: { renewal: { jitter: 0, random: () => 0.999 } } });
    const first = await agent.start();
    server.faults.set('renew', [{ status: 429, headers: { 'retry-after': '3600' } }]);
    const failed = nextEvent(agent, 'renewal-failed');
    await clock.advanceAsync(agent.status().nextRenewalAt!.getTime() - clock.now());
    const f = await failed;
    const left = first.notAfter.getTime() - clock.now();
    expect(f.nextRetryAt.getTime() - clock.now()).toBeLessThanOrEqual(0.1 * left + 1);
  });

  it('expiry with a still-valid install token: expired, then re-enrolls', async () => {
    const { clock, server, agent } = await setup({ server: { reusableTokens: true } });
    const events = recordEvents(agent);
    const first = await agent.start();
    server.faults.set(
      'renew',
      Array.from({ length: 200 }, () => ({ status: 503 })),
    );
    const reenrolled = nextEvent(agent, 'enrolled', 20_000);
    // Step through the retries until the certificate runs out.
    while (clock.now() < first.notAfter.getTime() + 1000 && agent.state !== 'enrolling') {
      await clock.advanceAsync(60_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const e = await reenrolled;
    expect(e.reenrollment).toBe(true);
    expect(agent.state).toBe('active');
    expect(agent.current().generation).toBeGreaterThan(first.generation);
    expect(server.registrations).toHaveLength(2);
    const names = events.map((x) => x.name);
    expect(names).toContain('expiring');
    expect(names.indexOf('expired')).toBeLessThan(names.lastIndexOf('enrolled'));
    expect(names).not.toContain('reenrollment-required');
  }, 60_000);

  it('expiry without an install token: reenrollment-required and state expired', async () => {
    const first = await setup();
    await first.agent.start();
    await first.agent.close();
    const clock = first.clock;
    const agent = createAgent({
      backendUrl: first.server.url,
      trustAnchors: first.server.caPem,
      serviceName: 'svc',
      store: first.store,
      clock,
      heartbeat: { enabled: false },
    });
    open.push(agent);
    const loaded = await agent.start();
    expect(loaded.generation).toBe(1);
    expect(first.server.registrations).toHaveLength(1);
    first.server.faults.set(
      'renew',
      Array.from({ length: 200 }, () => ({ status: 503 })),
    );
    const required = nextEvent(agent, 'reenrollment-required', 20_000);
    const expired = nextEvent(agent, 'expired', 20_000);
    while (clock.now() < loaded.notAfter.getTime() + 1000) {
      await clock.advanceAsync(120_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await expired).generation).toBe(1);
    const r = await required;
    expect(r.reason).toBe('expired-without-install-token');
    expect(r.cause?.code).toBe('ERR_MTLS_IDENTITY_EXPIRED');
    expect(agent.state).toBe('expired');
    await agent.close();

    // A later start from the expired store asks for a new token instead of guessing.
    const again = createAgent({
      backendUrl: first.server.url,
      trustAnchors: first.server.caPem,
      serviceName: 'svc',
      store: first.store,
      clock,
      heartbeat: { enabled: false },
    });
    open.push(again);
    await expect(again.start()).rejects.toMatchObject({ code: 'ERR_MTLS_REENROLLMENT_REQUIRED' });
    expect(again.state).toBe('expired');
  }, 60_000);

  it('keeps the old identity when the renewed certificate is not for our key or not from the pinned CA', async () => {
    const { clock, server, agent } = await setup();
    const first = await agent.start();
    const other = await server.ca.issue({ subject: { commonName: 'svc' }, profile: 'client' });
    const foreignCa = await createCertificateAuthority({ subject: { commonName: 'Other CA' } });
    server.faults.set('renew', [
      { replace: (r) => ({ ...r, certificate_pem: other.certificatePem }) },
      {
        // The right key, the wrong CA.
        replace: async (r) => {
          const publicKey = new X509Certificate(String(r['certificate_pem'])).publicKey.export({
            type: 'spki',
            format: 'pem',
          });
          const foreign = await foreignCa.issue({
            subject: { commonName: 'svc' },
            publicKey: String(publicKey),
            profile: 'client',
          });
          return { ...r, certificate_pem: foreign.certificatePem };
        },
      },
      { replace: (r) => ({ ...r, certificate_pem: undefined }) },
    ]);
    const errors: string[] = [];
    agent.on('error', (e) => errors.push(String(e.details?.['reason'])));
    for (const reason of ['key-mismatch', 'untrusted-chain', 'missing-field']) {
      const failed = nextEvent(agent, 'renewal-failed');
      await clock.advanceAsync(Math.max(1, agent.status().nextRenewalAt!.getTime() - clock.now()));
      const f = await failed;
      expect(f.cause.code).toBe('ERR_MTLS_INVALID_RESPONSE');
      expect(f.cause.details?.['reason']).toBe(reason);
      expect(agent.current()).toBe(first);
    }
    expect(errors).toEqual(['key-mismatch', 'untrusted-chain', 'missing-field']);
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(Math.max(1, agent.status().nextRenewalAt!.getTime() - clock.now()));
    await renewed;
  });

  it('reports clock skew when the backend issues certificates from the future', async () => {
    const clock = new FakeClock({ now: Date.now() });
    const server = await startProtocolServer({
      now: () => clock.now() + 2 * HOUR,
      tokens: { [TOKEN]: 'svc' },
    });
    open.push(server);
    const agent = createAgent({
      backendUrl: server.url,
      trustAnchors: server.caPem,
      installToken: TOKEN,
      serviceName: 'svc',
      store: new MemoryStore(),
      clock,
    });
    open.push(agent);
    const err = await agent.start().catch((e: unknown) => e);
    expect(isMtlsError(err) && err.code).toBe('ERR_MTLS_CLOCK_SKEW');
  });

  it('a lost register response is retried with the same key and ends with one registration', async () => {
    const { clock, server, store, agent } = await setup();
    server.faults.set('register', [{ dropAfterCommit: true }, { dropAfterCommit: true }]);
    const failures: string[] = [];
    agent.on('enrollment-failed', (e) => {
      failures.push(e.cause.code);
      // Retries run on the fake clock.
      setTimeout(() => void clock.advanceAsync(e.nextRetryAt.getTime() - clock.now()), 5);
    });
    const pendingSeen = (async () => {
      await waitFor(() => failures.length > 0);
      return store.loadPendingKey();
    })();
    const creds = await agent.start();
    expect(failures).toEqual(['ERR_MTLS_SERVER_UNAVAILABLE', 'ERR_MTLS_SERVER_UNAVAILABLE']);
    expect((await pendingSeen)?.purpose).toBe('enroll');
    expect(server.registrations).toHaveLength(1);
    const keys = new Set(
      server.requests.filter((r) => r.route === 'register').map((r) => r.headers['idempotency-key']),
    );
    expect(keys.size).toBe(1);
    expect(creds.generation).toBe(1);
    expect(await store.loadPendingKey()).toBeUndefined();
  });

  it('a lost renew response is retried with the same pending key', async () => {
    const { clock, server, agent } = await setup();
    await agent.start();
    server.faults.set('renew', [{ dropAfterCommit: true }]);
    const failed = nextEvent(agent, 'renewal-failed');
    await clock.advanceAsync(agent.status().nextRenewalAt!.getTime() - clock.now());
    await failed;
    const renewed = nextEvent(agent, 'renewed');
    await clock.advanceAsync(agent.status().nextRenewalAt!.getTime() - clock.now() + 1);
    await renewed;
    // ECDSA CSRs differ per signature; the key (and so the Idempotency-Key) must not.
    const keys = await Promise.all(
      server.requests
        .filter((r) => r.route === 'renew')
        .map(async (r) => (await parseCsr(JSON.parse(r.body).csr_pem)).spkiSha256),
    );
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('renewNow() renews at once and joins a renewal in progress', async () => {
    const { server, agent } = await setup();
    await agent.start();
    const a = agent.renewNow();
    const b = agent.renewNow();
    expect(b).toBe(a);
    expect((await a).generation).toBe(2);
    expect(renewCalls(server)).toBe(1);
  });
});

describe('MtlsAgent heartbeats (FakeClock, real TLS)', () => {
  it('sends heartbeats every interval and backs off on failure without blocking renewal', async () => {
    const { clock, server, agent } = await setup({
      agent: { heartbeat: { intervalMs: 10 * 60_000, jitter: 0 } },
    });
    await agent.start();
    const hb = nextEvent(agent, 'heartbeat');
    await clock.advanceAsync(10 * 60_000);
    await hb;
    expect(server.heartbeats).toHaveLength(1);
    server.faults.set(
      'heartbeat',
      Array.from({ length: 1000 }, () => ({ status: 503 })),
    );
    const failed = nextEvent(agent, 'heartbeat-failed');
    await clock.advanceAsync(10 * 60_000);
    const f = await failed;
    expect(f.cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(f.nextAttemptAt.getTime() - clock.now()).toBeLessThanOrEqual(10 * 60_000);
    // Renewal still happens on time while heartbeats keep failing.
    const renewed = nextEvent(agent, 'renewed', 20_000);
    let guard = 0;
    let done = false;
    void renewed.then(() => {
      done = true;
    });
    while (!done && guard++ < 100) {
      await clock.advanceAsync(60_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    await renewed;
    expect(agent.status().counters.heartbeatFailures).toBeGreaterThan(1);
  }, 60_000);

  it('403 on heartbeat means revoked: the agent stops using the identity and its timers', async () => {
    const { clock, server, agent } = await setup({ agent: { heartbeat: { intervalMs: 60_000 } } });
    const events = recordEvents(agent);
    await agent.start();
    server.revoked.add(server.registrations[0]!.serviceId);
    const revoked = nextEvent(agent, 'revoked');
    await clock.advanceAsync(70_000);
    const r = await revoked;
    expect(r.cause.code).toBe('ERR_MTLS_REVOKED');
    expect(agent.state).toBe('revoked');
    expect(() => agent.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_REVOKED' }));
    expect(agent.credentials()).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    expect(events.some((e) => e.name === 'error')).toBe(true);
    await expect(agent.renewNow()).rejects.toMatchObject({ code: 'ERR_MTLS_NO_CREDENTIALS' });
  });

  it('403 on renew also means revoked', async () => {
    const { clock, server, agent } = await setup();
    await agent.start();
    server.revoked.add(server.registrations[0]!.serviceId);
    const revoked = nextEvent(agent, 'revoked');
    await clock.advanceAsync(agent.status().nextRenewalAt!.getTime() - clock.now());
    await revoked;
    expect(agent.state).toBe('revoked');
  });
});

describe('MtlsAgent events, states and life cycle', () => {
  it('goes idle → enrolling → active → renewing → active → closed, and close() is idempotent', async () => {
    const { clock, agent } = await setup({ agent: { heartbeat: { intervalMs: 60_000 } } });
    const states: string[] = [];
    agent.on('state', (s) => states.push(`${s.from}>${s.to}`));
    const updates: number[] = [];
    const iterated: number[] = [];
    agent.on('update', (c) => updates.push(c.generation));
    expect(agent.state).toBe('idle');
    expect(() => agent.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_NO_CREDENTIALS' }));
    const ready = agent.ready();
    const iterating = (async () => {
      for await (const c of agent.updates()) iterated.push(c.generation);
    })();
    const started = agent.start();
    expect(agent.start()).toBe(started);
    expect((await ready).generation).toBe(1);
    await agent.renewNow();
    const closing = agent.close();
    expect(agent.close()).toBe(closing);
    await closing;
    await iterating;
    expect(states).toEqual([
      'idle>enrolling',
      'enrolling>active',
      'active>renewing',
      'renewing>active',
      'active>closed',
    ]);
    expect(updates).toEqual([1, 2]);
    expect(iterated).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(0);
    expect(agent.state).toBe('closed');
    await expect(agent.start()).rejects.toMatchObject({ code: 'ERR_MTLS_AGENT_CLOSED' });
    const status = agent.status();
    expect(status).toMatchObject({
      state: 'closed',
      generation: 2,
      counters: { enrollments: 1, renewals: 1 },
    });
  });

  it('emits expiring once when little lifetime is left and renewal has not succeeded', async () => {
    const { clock, server, agent } = await setup();
    const first = await agent.start();
    server.faults.set(
      'renew',
      Array.from({ length: 500 }, () => ({ status: 503 })),
    );
    const expiring = nextEvent(agent, 'expiring', 20_000);
    let got = false;
    void expiring.then(() => {
      got = true;
    });
    while (!got && clock.now() < first.notAfter.getTime()) {
      await clock.advanceAsync(60_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    const e = await expiring;
    expect(e.remainingMs).toBeLessThanOrEqual(0.2 * HOUR + 60_000);
    expect(e.generation).toBe(1);
  }, 60_000);

  it('close() during enrollment retries settles start() with ERR_MTLS_AGENT_CLOSED', async () => {
    const { server, agent } = await setup();
    server.faults.set('register', [{ status: 503 }]);
    const started = agent.start();
    await nextEvent(agent, 'enrollment-failed');
    const outcome = started.catch((e: unknown) => e);
    await agent.close();
    expect(await outcome).toMatchObject({ code: 'ERR_MTLS_AGENT_CLOSED' });
  });

  it('a throwing listener does not break the agent', async () => {
    const { agent } = await setup();
    agent.on('update', () => {
      throw new Error('listener bug');
    });
    await agent.start();
    expect(agent.state).toBe('active');
  });
});
