// Findings 3 and 13 of issue 13: only the protocol's explicit revocation is terminal (and it
// survives a restart); an outage longer than the lifetime gives an explicit `expired` state.
import { createAgent } from '@mtlskit/agent';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSetup, TOKEN, toNextRenewal } from '../lib/agent-setup.js';
import { nextEvent } from '../lib/helpers.js';

const env = agentSetup();
afterEach(() => env.closeAll());

const HTML_403 = {
  raw: (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(403, { 'content-type': 'text/html' });
    res.end('<html><body><h1>403 Forbidden</h1>Request blocked by WAF</body></html>');
  },
};

describe('revocation: only 403 IDENTITY_REVOKED in JSON, persisted', () => {
  const notRevocations: [string, object][] = [
    ['a WAF HTML 403', HTML_403],
    [
      'a gateway 401 (JSON, another code)',
      { status: 401, body: { error: 'unauthorized', message: 'no route', code: 'UNAUTHORIZED' } },
    ],
    [
      'a 403 with another code',
      { status: 403, body: { error: 'forbidden', code: 'FORBIDDEN', message: 'nope' } },
    ],
  ];
  for (const [name, fault] of notRevocations) {
    it(`${name} on heartbeat is a failure with backoff, not a revocation`, async () => {
      const s = await env.setup({ agent: { heartbeat: { intervalMs: 60_000, jitter: 0 } } });
      await s.agent.start();
      s.server.faults.set('heartbeat', [fault as never]);
      const failed = nextEvent(s.agent, 'heartbeat-failed');
      await s.clock.advanceAsync(61_000);
      const f = await failed;
      expect(f.cause.code).toBe('ERR_MTLS_IDENTITY_REFUSED');
      expect(f.cause.message).toMatch(/not a revocation/);
      expect(s.agent.state).toBe('active');
      expect(s.agent.current().generation).toBe(1);
      // The next heartbeat goes through.
      const ok = nextEvent(s.agent, 'heartbeat');
      await s.clock.advanceAsync(61_000);
      await ok;
    });
  }

  it('a 401 "certificate expired" while the local clock says valid is reported as clock skew and retried', async () => {
    const s = await env.setup({ agent: { heartbeat: { intervalMs: 60_000, jitter: 0 } } });
    await s.agent.start();
    s.server.faults.set('heartbeat', [
      {
        status: 401,
        body: { error: 'CLIENT_CERTIFICATE_EXPIRED', code: 'CLIENT_CERTIFICATE_EXPIRED', message: 'expired' },
      },
    ]);
    const failed = nextEvent(s.agent, 'heartbeat-failed');
    await s.clock.advanceAsync(61_000);
    const f = await failed;
    expect(f.cause.code).toBe('ERR_MTLS_CLOCK_SKEW');
    expect(f.cause.message).toMatch(/clocks/);
    expect(s.agent.state).toBe('active');
  });

  it('403 IDENTITY_REVOKED revokes, persists, and a restart on the same store stays revoked', async () => {
    const s = await env.setup({ agent: { heartbeat: { intervalMs: 60_000, jitter: 0 } } });
    await s.agent.start();
    s.server.revoked.add(s.server.registrations[0]!.serviceId);
    const revoked = nextEvent(s.agent, 'revoked');
    await s.clock.advanceAsync(61_000);
    expect((await revoked).cause.code).toBe('ERR_MTLS_REVOKED');
    expect(await s.store.loadRevocation()).toMatchObject({ code: 'ERR_MTLS_REVOKED', generation: 1 });
    expect(s.agent.status().requiredAction).toMatch(/new install token/);
    await s.agent.close();
    const again = createAgent({
      backendUrl: s.server.url,
      trustAnchors: s.server.caPem,
      installToken: TOKEN,
      serviceName: 'svc',
      store: s.store,
      clock: s.clock,
      heartbeat: { enabled: false },
    });
    await expect(again.start()).rejects.toMatchObject({ code: 'ERR_MTLS_REVOKED' });
    expect(again.state).toBe('revoked');
    expect(() => again.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_REVOKED' }));
    await again.close();
    // No renew or heartbeat was attempted by the restarted agent.
    expect(s.server.requests.filter((r) => r.route === 'renew')).toHaveLength(0);
  });

  it('a 403 without a JSON content type is not a revocation even if the text says IDENTITY_REVOKED', async () => {
    const s = await env.setup();
    await s.agent.start();
    s.server.faults.set('renew', [
      {
        raw: (_req, res) => {
          res.writeHead(403, { 'content-type': 'text/plain' });
          res.end('{"code":"IDENTITY_REVOKED"}');
        },
      },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    expect((await failed).cause.code).toBe('ERR_MTLS_IDENTITY_REFUSED');
    expect(s.agent.state).toBe('active');
  });
});

describe('expiry after a long outage: explicit state, operator action, caller choice', () => {
  async function outage(allowExpiredCredentials: boolean) {
    const s = await env.setup({ agent: { allowExpiredCredentials } });
    const first = await s.agent.start();
    s.server.faults.set(
      'renew',
      Array.from({ length: 500 }, () => ({ status: 503 })),
    );
    // The re-enrollment after expiry: the token was used by the first key.
    s.server.faults.set('register', [
      { status: 409, body: { error: 'TOKEN_ALREADY_USED', code: 'TOKEN_ALREADY_USED', message: 'used' } },
    ]);
    const required = nextEvent(s.agent, 'reenrollment-required');
    await s.clock.advanceAsync(first.notAfter.getTime() - s.clock.now() + 1);
    await required;
    return { s, first };
  }

  it('current() throws ERR_MTLS_IDENTITY_EXPIRED with what to do; status says it too', async () => {
    const { s } = await outage(false);
    expect(s.agent.state).toBe('expired');
    expect(() => s.agent.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_IDENTITY_EXPIRED' }));
    expect(() => s.agent.current()).toThrow(/new install token/);
    expect(s.agent.credentials()).toBeUndefined();
    expect(s.agent.status().requiredAction).toMatch(/new install token/);
    expect(s.agent.status().lastError?.code).toBe('ERR_MTLS_INSTALL_TOKEN_USED');
  });

  it('allowExpiredCredentials hands out the expired identity on request', async () => {
    const { s, first } = await outage(true);
    expect(s.agent.state).toBe('expired');
    expect(s.agent.current()).toBe(first);
    expect(s.agent.credentials()).toBe(first);
  });
});
