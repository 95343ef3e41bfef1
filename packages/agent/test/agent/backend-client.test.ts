// Findings 2, 4 and 10 of issue 13: total deadlines, capped bodies, and TLS failures named
// for what they are. Real node:https backends; fake time where certificates expire.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAgent, MemoryStore } from '@mtlskit/agent';
import { createCertificateAuthority } from '@mtlskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSetup, TOKEN, toNextRenewal } from '../lib/agent-setup.js';
import { nextEvent, waitFor } from '../lib/helpers.js';

const env = agentSetup();
const servers: { close(): void; closeAllConnections(): void }[] = [];
afterEach(async () => {
  await env.closeAll();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('deadlines: a trickling backend cannot hold a call (or the expiry report) forever', () => {
  it('reports expired at notAfter while a renewal trickles, and sends no heartbeat with the expired certificate', async () => {
    const s = await env.setup({
      agent: {
        heartbeat: { intervalMs: 10 * 60_000, jitter: 0 },
        renewal: { jitter: 0, random: () => 0.5, reenrollOnExpiry: false },
      },
    });
    const first = await s.agent.start();
    const trickle = (
      req: import('node:http').IncomingMessage,
      res: import('node:http').ServerResponse,
    ): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(t));
      req.socket.on('close', () => clearInterval(t));
    };
    s.server.faults.set(
      'renew',
      Array.from({ length: 20 }, () => ({ raw: trickle })),
    );
    await toNextRenewal(s);
    await waitFor(() => s.server.requests.length > 0 || s.agent.state === 'renewing', 5000);
    const expired = nextEvent(s.agent, 'expired');
    // Up to just before notAfter, then let a heartbeat still on the wire land (the next one
    // is scheduled only when it completes): it left with a valid certificate, and the test
    // server judges validity on arrival by the same fake clock.
    await s.clock.advanceAsync(first.notAfter.getTime() - s.clock.now() - 1);
    await waitFor(() => s.agent.status().nextHeartbeatAt !== undefined, 5000);
    await s.clock.advanceAsync(2);
    const e = await expired;
    const heartbeatsBefore = s.server.heartbeats.length;
    expect(e.generation).toBe(1);
    expect(s.agent.state).toBe('expired');
    // Ten more minutes of heartbeat schedule: none may go out with the expired certificate.
    await s.clock.advanceAsync(30 * 60_000);
    expect(s.server.heartbeats.length).toBe(heartbeatsBefore);
    expect(s.server.requests.filter((r) => r.route === 'heartbeat' && r.status === 401)).toHaveLength(0);
  }, 30_000);

  it('abandons a call whose body keeps trickling after requestTimeoutMs in total (not per chunk)', async () => {
    const s = await env.setup({ agent: { requestTimeoutMs: 1500 } });
    await s.agent.start();
    s.server.faults.set('renew', [
      {
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          const t = setInterval(() => res.write(' '), 300);
          res.on('close', () => clearInterval(t));
        },
      },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed', 8000);
    const started = Date.now();
    await toNextRenewal(s);
    const f = await failed;
    expect(Date.now() - started).toBeLessThan(6000);
    expect(f.cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(f.cause.details?.['reason']).toBe('deadline');
  }, 15_000);

  it('start({ signal }) gives up on an unreachable backend and returns to idle', async () => {
    const s = await env.setup();
    s.server.faults.set(
      'register',
      Array.from({ length: 50 }, () => ({ status: 503 })),
    );
    const controller = new AbortController();
    const started = s.agent.start({ signal: controller.signal });
    await waitFor(() => s.agent.status().counters.enrollmentFailures > 0, 5000);
    controller.abort();
    await expect(started).rejects.toMatchObject({ code: 'ERR_MTLS_ABORTED' });
    expect(s.agent.state).toBe('idle');
    expect(s.agent.status().nextRenewalAt).toBeUndefined();
  });
});

describe('response size: every body is capped', () => {
  it('refuses a 50 MiB streamed answer while it streams and closes the connection', async () => {
    const s = await env.setup();
    await s.agent.start();
    let written = 0;
    let closedEarly = false;
    s.server.faults.set('renew', [
      {
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = (): void => {
            while (written < 50 * 1024 * 1024) {
              written += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          res.on('close', () => {
            closedEarly = written < 50 * 1024 * 1024;
          });
          pump();
        },
      },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    const f = await failed;
    expect(f.cause.code).toBe('ERR_MTLS_RESPONSE_TOO_LARGE');
    expect(f.cause.details?.['limit']).toBe(1024 * 1024);
    await waitFor(() => closedEarly, 5000, 'the server to see the connection closed');
    expect(written).toBeLessThan(50 * 1024 * 1024);
  });

  it('refuses a valid certificate padded to 50 MiB (declared Content-Length) without reading it', async () => {
    const s = await env.setup();
    const first = await s.agent.start();
    s.server.faults.set('renew', [
      { replace: (real) => ({ ...real, padding: 'x'.repeat(50 * 1024 * 1024) }) },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed', 20_000);
    await toNextRenewal(s);
    expect((await failed).cause.code).toBe('ERR_MTLS_RESPONSE_TOO_LARGE');
    expect(s.agent.current()).toBe(first);
  }, 30_000);
});

describe('TLS failures of the backend are named', () => {
  async function backend(options: Record<string, unknown>): Promise<string> {
    const server = createServer(options, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a backend certificate without serverAuth is not trusted (not retried as unavailable)', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Backend CA' } });
    const clientOnly = await ca.issue({
      subject: { commonName: 'localhost' },
      profile: 'client',
      ipAddresses: ['127.0.0.1'],
    });
    const url = await backend({ key: clientOnly.privateKeyPem, cert: clientOnly.certificatePem });
    const agent = createAgent({
      backendUrl: url,
      trustAnchors: ca.certificatePem,
      installToken: TOKEN,
      serviceName: 'svc',
      store: new MemoryStore(),
      heartbeat: { enabled: false },
    });
    const err = await agent.start({ signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    await agent.close();
    expect(err).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
      details: { tlsCode: 'INVALID_PURPOSE' },
    });
    expect(String((err as Error).message)).toContain('serverAuth');
  });

  it('a TLS 1.1-only backend is reported as a TLS version problem, not a rejected client certificate', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Backend CA' } });
    const cert = await ca.issue({
      subject: { commonName: 'localhost' },
      profile: 'server',
      ipAddresses: ['127.0.0.1'],
    });
    const url = await backend({
      key: cert.privateKeyPem,
      cert: cert.certificatePem,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    const agent = createAgent({
      backendUrl: url,
      trustAnchors: ca.certificatePem,
      installToken: TOKEN,
      serviceName: 'svc',
      store: new MemoryStore(),
      heartbeat: { enabled: false },
    });
    const err = await agent.start({ signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    await agent.close();
    expect(err).toMatchObject({ code: 'ERR_MTLS_SERVER_NOT_TRUSTED' });
    expect(String((err as Error).message)).toMatch(/older than 1\.2/);
    expect(String((err as Error).message)).not.toMatch(/client certificate/);
    // The same service called through the agent's dispatcher (agent.fetch).
    const s = await env.setup();
    await s.agent.start();
    const viaFetch = await s.agent.fetch(url).catch((e: unknown) => e);
    const cause = (viaFetch as Error).cause;
    expect(cause).toMatchObject({ code: 'ERR_MTLS_TLS_VERSION_MISMATCH' });
    expect(String((cause as Error).message)).not.toMatch(/rejected the client certificate/);
  });
});
