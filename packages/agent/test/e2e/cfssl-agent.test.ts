import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { type AgentEvents, cfsslEnrollment, createAgent, type MtlsAgent } from '@mtlskit/agent';
import { type CertificateAuthority, createCertificateAuthority, parseCertificates } from '@mtlskit/core';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CfsslServer, startCfsslServer } from '../lib/cfssl-server.js';
import { nextEvent, recordEvents, waitFor } from '../lib/helpers.js';

let tlsCa: CertificateAuthority;
let cfssl: CfsslServer;
let app: Server;
let appUrl: string;
const stateDirs: string[] = [];
const agents: MtlsAgent[] = [];

beforeAll(async () => {
  tlsCa = await createCertificateAuthority({ subject: { commonName: 'e2e TLS CA' } });
  const cfsslTls = await tlsCa.issue({
    subject: { commonName: 'cfssl' },
    profile: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  // 2 min certificates: CFSSL rounds notBefore to the minute and backdates it 31 s, so a
  // certificate has 59..119 s left on arrival (see docs/cas/cfssl.md).
  cfssl = await startCfsslServer({
    tls: { certificatePem: cfsslTls.chainPem, privateKeyPem: cfsslTls.privateKeyPem! },
    clientExpiry: '2m',
  });
  // The application server trusts the CFSSL CA, and only it, for client certificates.
  const appTls = await tlsCa.issue({
    subject: { commonName: 'app' },
    profile: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  app = createServer(
    {
      cert: appTls.chainPem,
      key: appTls.privateKeyPem!,
      ca: cfssl.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ cn: peer.subject?.CN, serial: peer.serialNumber }));
    },
  );
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appUrl = `https://127.0.0.1:${(app.address() as { port: number }).port}/whoami`;
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.close();
  app?.closeAllConnections();
  await new Promise((r) => (app === undefined ? r(undefined) : app.close(r)));
  await cfssl?.dispose();
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
}, 30_000);

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mtlskit-cfssl-agent-'));
  stateDirs.push(d);
  return d;
}

function cfsslAgent(dir: string, overrides: { authKey?: string; profile?: string } = {}): MtlsAgent {
  const a = createAgent({
    trustAnchors: tlsCa.certificatePem,
    serviceName: 'billing-worker',
    stateDir: dir,
    enrollment: cfsslEnrollment({
      url: cfssl.url,
      trustAnchors: tlsCa.certificatePem,
      authKey: overrides.authKey ?? cfssl.authKey,
      profile: overrides.profile ?? 'client',
    }),
    // 5 % of 59..119 s: a renewal every 3..6 s, without jitter. Retries after a failure
    // wait at most 1 s.
    renewal: { fraction: 0.05, jitter: 0, initialDelayMs: 300, maxDelayMs: 1_000 },
  });
  agents.push(a);
  return a;
}

/** Serial (upper-case hex, as Node reports it) of the leaf of the current identity. */
function serialOf(a: MtlsAgent): string {
  return parseCertificates(a.current().certificateChainPem)[0]!.serialNumber.toUpperCase().replace(/^0+/, '');
}

async function whoami(a: MtlsAgent): Promise<{ cn: string; serial: string }> {
  const res = await a.fetch(appUrl);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { cn: string; serial: string };
  return { cn: body.cn, serial: body.serial.toUpperCase().replace(/^0+/, '') };
}

describe('agent against a real CFSSL (cfssl serve)', () => {
  it('enrolls, renews at least twice, survives a CFSSL restart, serves mTLS throughout; bad profile and wrong key fail typed', async () => {
    const dir = stateDir();
    const a = cfsslAgent(dir);
    const events = recordEvents(a);
    const arrivals: { generation: number; at: number; notBefore: number }[] = [];
    a.on('update', (c) =>
      arrivals.push({ generation: c.generation, at: Date.now(), notBefore: c.notBefore.getTime() }),
    );

    // Two misconfigured agents run next to it: CFSSL rejects their authsign requests.
    const badProfile = cfsslAgent(stateDir(), { profile: 'no-such-profile' });
    const wrongKey = cfsslAgent(stateDir(), { authKey: 'cd'.repeat(16) });
    const [profileErr, keyErr] = await Promise.all([
      badProfile.start().catch((e: unknown) => e),
      wrongKey.start().catch((e: unknown) => e),
    ]);
    expect(profileErr).toMatchObject({
      code: 'ERR_MTLS_CFSSL_PROFILE',
      details: { endpoint: 'authsign', profile: 'no-such-profile' },
    });
    expect(keyErr).toMatchObject({
      code: 'ERR_MTLS_CFSSL_AUTH',
      details: { endpoint: 'authsign', status: 400 },
    });
    expect(JSON.stringify(keyErr)).not.toContain('cd'.repeat(16));
    expect(badProfile.state).toBe('idle');
    expect(wrongKey.state).toBe('idle');

    // Enrollment.
    const first = await a.start();
    expect(first.generation).toBe(1);
    expect(a.status().strategy).toBe('cfssl:client');
    let seen = await whoami(a);
    expect(seen).toEqual({ cn: 'billing-worker', serial: serialOf(a) });

    // At least two scheduled renewals; each new certificate is used for the next request.
    for (const generation of [2, 3]) {
      const r = await nextEvent(a, 'renewed', 20_000);
      expect(r.credentials.generation).toBe(generation);
      seen = await whoami(a);
      expect(seen.serial).toBe(serialOf(a));
    }
    // CFSSL's backdate keeps every certificate valid on arrival, despite its minute rounding.
    for (const x of arrivals) expect(x.notBefore).toBeLessThanOrEqual(x.at);

    // CFSSL goes away: renewals fail with backoff, the still-valid certificate keeps working.
    await cfssl.stop();
    const failures: AgentEvents['renewal-failed'][] = [];
    a.on('renewal-failed', (e) => failures.push(e));
    await waitFor(() => failures.length >= 2, 20_000, 'two renewal failures');
    expect(failures[0]!.cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(failures[0]!.cause.message).toContain('cfssl serve');
    expect(failures.map((f) => f.attempt).slice(0, 2)).toEqual([1, 2]);
    expect(a.state).toBe('active');
    const during = await whoami(a);
    expect(during.serial).toBe(serialOf(a));
    expect(a.current().generation).toBe(3);

    // CFSSL is back (same port, same CA): the next retry renews.
    await cfssl.start();
    const recovered = await nextEvent(a, 'renewed', 20_000);
    expect(recovered.credentials.generation).toBe(4);
    expect((await whoami(a)).serial).toBe(serialOf(a));
    expect(a.status().counters.renewals).toBeGreaterThanOrEqual(3);
    expect(a.status().counters.renewalFailures).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.name === 'error')).toBe(false);

    // A request without a client certificate is refused: the server really requires mTLS.
    const anonymous = new UndiciAgent({ connect: { ca: tlsCa.certificatePem } });
    await expect(undiciFetch(appUrl, { dispatcher: anonymous })).rejects.toThrow();
    await anonymous.close();

    // The identity was persisted: a restarted agent loads it instead of enrolling again.
    const generation = a.current().generation;
    const serial = serialOf(a);
    await a.close();
    const restarted = cfsslAgent(dir);
    const loaded = await restarted.start();
    expect(loaded.generation).toBe(generation);
    expect(serialOf(restarted)).toBe(serial);
    expect((await whoami(restarted)).serial).toBe(serial);
  }, 90_000);
});
