import { mkdtemp, rm } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, MutableCredentialSource } from '@mtlskit/core';
import { loadOptional } from '../lib/load-optional.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** How long requests flow, in ms. Default 32 000. */
  durationMs?: number;
  /** Lifetime of the agent's certificates, in ms. Default 12 000. */
  certificateLifetimeMs?: number;
  /** How often the demo server's own certificate is rotated, in ms. Default 7 000. */
  serverRotationMs?: number;
  /** Concurrent request loops through `agent.fetch()`. Default 4. */
  concurrency?: number;
  /** Receives one line per event (enrolled, renewed, …). */
  onEvent?: (line: string) => void;
  /** Receives the live status about four times a second. */
  onStatus?: (status: DemoStatus) => void;
}

/** The live figures of a running demo. */
export interface DemoStatus {
  elapsedMs: number;
  generation: number;
  expiresInMs: number;
  requestsOk: number;
  requestsFailed: number;
  renewals: number;
  heartbeats: number;
  serverGeneration: number;
}

/** The closing summary of {@link runDemo}. */
export interface DemoSummary {
  ok: boolean;
  durationMs: number;
  requestsOk: number;
  requestsFailed: number;
  renewals: number;
  heartbeats: number;
  clientGenerationsSeenByServer: number;
  serverGenerations: number;
  registrations: number;
  revoked: boolean;
  failures: string[];
}

/**
 * Runs the mtlskit story on 127.0.0.1: a reference backend mints a one-time install
 * token, an agent enrolls, heartbeats over mTLS and renews its short-lived certificate
 * several times while requests flow through `agent.fetch()` to an https server that
 * hot-swaps its own identity; at the end the backend revokes the agent.
 *
 * @example
 * ```ts
 * const summary = await runDemo({ durationMs: 20_000, onEvent: console.log });
 * process.exitCode = summary.ok ? 0 : 1;
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  // Loaded here, not at the top: the CLI's bundle hoists static imports, and `inspect`,
  // `verify`, … must not load (or need installed) the agent, undici and the test backend.
  const [{ createAgent }, { attachCredentials, getPeerIdentity }, { createTestBackend }] = await loadOptional(
    'demo',
    ['@mtlskit/agent', '@mtlskit/node-adapter', '@mtlskit/testkit'],
    () =>
      Promise.all([import('@mtlskit/agent'), import('@mtlskit/node-adapter'), import('@mtlskit/testkit')]),
  );
  const durationMs = options.durationMs ?? 32_000;
  const lifetime = options.certificateLifetimeMs ?? 12_000;
  const concurrency = options.concurrency ?? 4;
  const say = options.onEvent ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const failures: string[] = [];
  const counters = { ok: 0, failed: 0, renewals: 0, heartbeats: 0 };
  const clientSerialsSeen = new Set<string>();

  // One CA for the backend (it signs the agents) and for the demo server's identity.
  const ca = await createCertificateAuthority({ subject: { commonName: 'mtlskit demo CA' } });
  const backend = await createTestBackend({ ca, certificateLifetimeMs: lifetime });
  const stateDir = await mkdtemp(join(tmpdir(), 'mtlskit-demo-'));
  say(`${stamp()}  backend listening on ${backend.url} (certificates live ${lifetime / 1000} s)`);

  const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
  const issueServer = async () => {
    const issued = await ca.issue({
      profile: 'server',
      subject: { commonName: 'demo-api' },
      ipAddresses: ['127.0.0.1'],
      dnsNames: ['localhost'],
      validityMs: 10 * 60_000,
    });
    await serverSource.set({
      certificateChainPem: issued.chainPem,
      privateKeyPem: issued.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    });
  };
  await issueServer();
  const server = https.createServer((req, res) => {
    const peer = getPeerIdentity(req);
    if (peer?.serialNumber) clientSerialsSeen.add(peer.serialNumber);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ hello: peer?.commonName ?? null, serverGeneration: attached.generation }));
  });
  const attached = attachCredentials(server, serverSource);
  await attached.ready();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hello`;
  say(`${stamp()}  demo api listening on ${apiUrl} (requires a client certificate from the demo CA)`);

  const installToken = backend.mintInstallToken({ serviceName: 'demo-agent', serviceType: 'agent' });
  say(`${stamp()}  install token minted: ${installToken.slice(0, 6)}… (one-time, shown truncated)`);

  const agent = createAgent({
    backendUrl: backend.url,
    trustAnchors: backend.caPem,
    installToken,
    serviceName: 'demo-agent',
    stateDir,
    heartbeat: { intervalMs: 3_000 },
  });
  agent.on('enrolled', (e) =>
    say(`${stamp()}  enrolled as service ${e.serviceId ?? '?'} (generation ${e.credentials.generation})`),
  );
  agent.on('renewed', (e) => {
    counters.renewals++;
    say(
      `${stamp()}  renewed: generation ${e.previousGeneration} → ${e.credentials.generation}, valid until ${e.credentials.notAfter.toISOString()}`,
    );
  });
  agent.on('renewal-failed', (e) => say(`${stamp()}  renewal failed (${e.cause.code}); retrying`));
  agent.on('heartbeat', () => {
    counters.heartbeats++;
  });
  agent.on('heartbeat-failed', (e) => say(`${stamp()}  heartbeat failed (${e.cause.code})`));
  agent.on('revoked', (e) =>
    say(`${stamp()}  revoked by the backend (${e.cause.code}): identity taken out of service`),
  );
  let revoking = false;
  agent.on('error', (e) => {
    // The revocation at the end is the expected last error.
    if (!(revoking && e.code === 'ERR_MTLS_REVOKED')) failures.push(`agent error ${e.code}: ${e.message}`);
  });

  let rotations = 0;
  let statusTimer: NodeJS.Timeout | undefined;
  let rotateTimer: NodeJS.Timeout | undefined;
  let revoked = false;
  try {
    await agent.start();
    rotateTimer = setInterval(() => {
      issueServer().then(
        () => {
          rotations++;
          say(`${stamp()}  demo api rotated its own certificate (generation ${attached.generation})`);
        },
        (e: unknown) => failures.push(`server rotation failed: ${String(e)}`),
      );
    }, options.serverRotationMs ?? 7_000);
    statusTimer = setInterval(() => {
      const c = agent.credentials();
      options.onStatus?.({
        elapsedMs: Date.now() - started,
        generation: c?.generation ?? 0,
        expiresInMs: c ? c.notAfter.getTime() - Date.now() : 0,
        requestsOk: counters.ok,
        requestsFailed: counters.failed,
        renewals: counters.renewals,
        heartbeats: counters.heartbeats,
        serverGeneration: attached.generation,
      });
    }, 250);

    const until = Date.now() + durationMs;
    const loop = async () => {
      while (Date.now() < until) {
        try {
          const res = await agent.fetch(apiUrl);
          const body = (await res.json()) as { hello?: string };
          if (res.status === 200 && body.hello === 'demo-agent') counters.ok++;
          else {
            counters.failed++;
            failures.push(`unexpected answer ${res.status} ${JSON.stringify(body)}`);
          }
        } catch (e) {
          counters.failed++;
          if (failures.length < 20) failures.push(`request failed: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    clearInterval(rotateTimer);

    // The end of the story: the backend revokes the identity; the next call notices.
    const serviceId = agent.status().serviceId;
    if (serviceId) {
      const gone = new Promise<void>((resolve) => agent.once('revoked', () => resolve()));
      revoking = true;
      backend.revoke(serviceId);
      say(`${stamp()}  backend revoked service ${serviceId}`);
      await agent.renewNow().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      // The timer must not outlive the race: the process would sit 5 s after the summary.
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5_000)))]).finally(() =>
        clearTimeout(timer),
      );
      revoked = agent.state === 'revoked';
    }
  } finally {
    clearInterval(statusTimer);
    clearInterval(rotateTimer);
    await agent.close();
    // Keep-alive connections would hold close() open until they time out: end them first.
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
    await backend.close();
    await rm(stateDir, { recursive: true, force: true });
  }
  const summary: DemoSummary = {
    ok: counters.failed === 0 && counters.ok > 0 && failures.length === 0,
    durationMs: Date.now() - started,
    requestsOk: counters.ok,
    requestsFailed: counters.failed,
    renewals: counters.renewals,
    heartbeats: counters.heartbeats,
    clientGenerationsSeenByServer: clientSerialsSeen.size,
    serverGenerations: rotations + 1,
    registrations: backend.registrations,
    revoked,
    failures,
  };
  return summary;
}
