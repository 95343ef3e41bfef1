import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAgent } from '@mtlskit/agent';
import { parseCertificate } from '@mtlskit/core';
import { createTestBackend } from '@mtlskit/testkit';

/** Options of {@link runAgentQuickstart}. */
export interface AgentQuickstartOptions {
  /** Lifetime of the certificates the backend issues, ms. Default `6_000`. */
  certificateLifetimeMs?: number;
  /** How many renewals to watch before closing. Default `3`. */
  renewals?: number;
  /** Interval between heartbeats, ms. Default `1_000`. */
  heartbeatIntervalMs?: number;
  /** Give up when the renewals have not happened by then, ms. Default `60_000`. */
  timeoutMs?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** What {@link runAgentQuickstart} saw. */
export interface AgentQuickstartResult {
  ok: boolean;
  serviceId: string | undefined;
  /** Registrations the backend counted (1: the install token was used once). */
  registrations: number;
  /** Whether the install token is marked used by the backend. */
  installTokenUsed: boolean;
  /** Renewals the agent reported. */
  renewals: number;
  /** Renewals the backend recorded for this identity. */
  backendRenewals: number;
  /** Heartbeats the backend received over mTLS. */
  backendHeartbeats: number;
  /** Every generation the agent put in service, in order, with its certificate serial. */
  generations: Array<{ generation: number; serialNumber: string; notAfter: Date }>;
  /** The agent's state after `close()`. */
  finalState: string;
  /** Errors the agent reported (empty on success). */
  errors: string[];
}

/**
 * Registers an agent with a one-time install token against a local reference backend,
 * lets it heartbeat over mTLS and renew its short-lived certificate a few times, then
 * closes everything.
 *
 * @example
 * ```ts
 * const result = await runAgentQuickstart({ certificateLifetimeMs: 3_000, renewals: 3, log: console.log });
 * console.log(result.generations.map((g) => g.serialNumber));
 * ```
 */
export async function runAgentQuickstart(
  options: AgentQuickstartOptions = {},
): Promise<AgentQuickstartResult> {
  const lifetime = options.certificateLifetimeMs ?? 6_000;
  const wanted = options.renewals ?? 3;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const backend = await createTestBackend({ certificateLifetimeMs: lifetime });
  // A FileStore, as in production: the key and certificate survive a restart (files 0600).
  const stateDir = await mkdtemp(join(tmpdir(), 'mtlskit-quickstart-'));
  log(`${stamp()}  backend on ${backend.url}, certificates live ${lifetime / 1000} s`);

  const installToken = backend.mintInstallToken({ serviceName: 'quickstart-worker' });
  log(`${stamp()}  install token minted (one-time; never logged)`);

  const agent = createAgent({
    backendUrl: backend.url,
    trustAnchors: backend.caPem, // the backend's CA is pinned: the token only goes to that server
    installToken,
    serviceName: 'quickstart-worker',
    stateDir,
    heartbeat: { intervalMs: options.heartbeatIntervalMs ?? 1_000 },
  });

  const generations: AgentQuickstartResult['generations'] = [];
  const errors: string[] = [];
  let renewals = 0;
  let heartbeats = 0;
  let onRenewed: (() => void) | undefined;

  agent.on('update', (c) => {
    const cert = parseCertificate(c.certificateChainPem);
    generations.push({ generation: c.generation, serialNumber: cert.serialNumber, notAfter: c.notAfter });
  });
  agent.on('enrolled', (e) =>
    log(`${stamp()}  enrolled as service ${e.serviceId ?? '?'} (generation ${e.credentials.generation})`),
  );
  agent.on('renewed', (e) => {
    renewals++;
    log(
      `${stamp()}  renewed: generation ${e.previousGeneration} → ${e.credentials.generation}, valid until ${e.credentials.notAfter.toISOString()}`,
    );
    onRenewed?.();
  });
  agent.on('heartbeat', (e) => {
    heartbeats++;
    log(`${stamp()}  heartbeat #${heartbeats} sent over mTLS (generation ${e.generation}, ${e.status})`);
  });
  agent.on('renewal-failed', (e) => log(`${stamp()}  renewal failed (${e.cause.code}), retry scheduled`));
  agent.on('heartbeat-failed', (e) => log(`${stamp()}  heartbeat failed (${e.cause.code})`));
  agent.on('error', (e) => errors.push(`${e.code}: ${e.message}`));

  let serviceId: string | undefined;
  try {
    await agent.start();
    serviceId = agent.status().serviceId;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`only ${renewals} of ${wanted} renewals within ${options.timeoutMs ?? 60_000} ms`),
          ),
        options.timeoutMs ?? 60_000,
      );
      onRenewed = () => {
        if (renewals >= wanted) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  } finally {
    await agent.close();
    log(`${stamp()}  agent closed (state ${agent.state})`);
    await backend.close();
    await rm(stateDir, { recursive: true, force: true });
  }

  const record = serviceId === undefined ? undefined : backend.agent(serviceId);
  const result: AgentQuickstartResult = {
    ok: false,
    serviceId,
    registrations: backend.registrations,
    installTokenUsed: backend.installTokens.every((t) => t.used),
    renewals,
    backendRenewals: record?.renewals ?? 0,
    backendHeartbeats: record?.heartbeats ?? 0,
    generations,
    finalState: agent.state,
    errors,
  };
  result.ok =
    result.registrations === 1 &&
    result.renewals >= wanted &&
    result.backendHeartbeats > 0 &&
    new Set(generations.map((g) => g.serialNumber)).size === generations.length &&
    errors.length === 0;
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAgentQuickstart({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nregistrations ${r.registrations}, renewals ${r.renewals} (backend: ${r.backendRenewals}), heartbeats ${r.backendHeartbeats}, generations ${r.generations.map((g) => g.generation).join(' → ')}`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.errors.join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`agent-quickstart failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
