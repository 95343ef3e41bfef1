import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { type CertificateAuthority, type Clock, createCertificateAuthority, MtlsError } from '@mtlskit/core';
import { BackendFaults } from '../backend/backend-faults.js';
import type { MintInstallTokenOptions, TestBackend } from '../backend/create-test-backend.js';
import type {
  AgentRecord,
  AllocationRecord,
  AllocationTokenInput,
  BackendPaths,
  InstallTokenRecord,
  RequestLogEntry,
  RouteName,
} from '../backend/types.js';
import type {
  AllocationTokenEntry,
  BackendContext,
  BackendSettings,
  InstallTokenEntry,
  RouteHandler,
} from './backend-context.js';
import { BackendState, snapshotAgent } from './backend-state.js';
import { hasClientCertificate } from './client-identity.js';
import { ApiError, parseJsonObject, readBody, sendJson } from './http.js';
import { handleInstallTokens, handleRevoke } from './route-admin.js';
import { handleAllocate, handleCert } from './route-allocate.js';
import { handleHeartbeat } from './route-heartbeat.js';
import { handleRegister } from './route-register.js';
import { handleRenew } from './route-renew.js';
import { hashSecret, randomId, randomSecret } from './secret.js';
import { TokenRegistry } from './token-registry.js';

/** Resolved configuration of a backend. */
export interface BackendConfig {
  readonly settings: BackendSettings;
  readonly clock: Clock;
  readonly adminToken: string;
  readonly allocationTokens: readonly AllocationTokenInput[];
  readonly caCommonName: string;
  readonly ca: CertificateAuthority | undefined;
  readonly paths: BackendPaths;
  readonly maxBodyBytes: number;
}

const HANDLERS: Record<RouteName, RouteHandler> = {
  'install-tokens': handleInstallTokens,
  register: handleRegister,
  renew: handleRenew,
  heartbeat: handleHeartbeat,
  allocate: handleAllocate,
  cert: handleCert,
  revoke: handleRevoke,
};

const PATH_KEYS: Record<keyof BackendPaths, RouteName> = {
  installTokens: 'install-tokens',
  register: 'register',
  renew: 'renew',
  heartbeat: 'heartbeat',
  allocate: 'allocate',
  cert: 'cert',
  revoke: 'revoke',
};

const YEAR = 365 * 86_400_000;

class TestBackendServer implements TestBackend {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly paths: Readonly<BackendPaths>;
  readonly faults: BackendFaults;
  readonly #adminToken: string;
  readonly #ctx: BackendContext;
  readonly #tokenIndex: Map<string, InstallTokenEntry>;
  readonly #server: Server;
  readonly #waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #closing: Promise<void> | undefined;

  constructor(
    server: Server,
    ctx: BackendContext,
    adminToken: string,
    paths: BackendPaths,
    tokenIndex: Map<string, InstallTokenEntry>,
  ) {
    this.#server = server;
    this.#ctx = ctx;
    this.#adminToken = adminToken;
    this.#tokenIndex = tokenIndex;
    this.faults = ctx.faults;
    this.caPem = ctx.caPem;
    this.paths = Object.freeze({ ...paths });
    this.port = (server.address() as AddressInfo).port;
    this.url = `https://127.0.0.1:${this.port}`;
  }

  get adminToken(): string {
    return this.#adminToken;
  }

  get agents(): readonly AgentRecord[] {
    return Object.freeze([...this.#ctx.state.agents.values()].map(snapshotAgent));
  }

  get registrations(): number {
    return this.#ctx.state.registrations;
  }

  get requests(): readonly RequestLogEntry[] {
    return Object.freeze([...this.#ctx.state.requests]);
  }

  get installTokens(): readonly InstallTokenRecord[] {
    return Object.freeze(
      [...this.#tokenIndex.entries()].map(([id, t]) =>
        Object.freeze({
          id,
          serviceName: t.serviceName,
          serviceType: t.serviceType,
          controllerName: t.controllerName,
          expiresAt: new Date(t.expiresAt),
          used: t.use !== undefined,
          serviceId: t.use?.serviceId,
        }),
      ),
    );
  }

  get allocations(): readonly AllocationRecord[] {
    return Object.freeze([...this.#ctx.state.allocations]);
  }

  get internalErrors(): readonly Error[] {
    return Object.freeze([...this.#ctx.state.internalErrors]);
  }

  now(): number {
    return this.#ctx.now();
  }

  mintInstallToken(options: MintInstallTokenOptions): string {
    if (!options || typeof options.serviceName !== 'string' || options.serviceName === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintInstallToken: serviceName must be a non-empty string.',
      );
    const serviceType = options.serviceType ?? 'agent';
    if (serviceType !== 'agent' && serviceType !== 'controller')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintInstallToken: serviceType must be "agent" or "controller".',
      );
    const ttlMs = options.ttlMs ?? this.#ctx.settings.tokenTtlMs;
    if (!(typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0))
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintInstallToken: ttlMs must be a positive number of milliseconds.',
      );
    return this.#ctx.mintInstallToken({
      serviceName: options.serviceName,
      serviceType,
      controllerName: options.controllerName,
      ttlMs,
    }).token;
  }

  mintAllocationToken(options: { owner: string; pools?: readonly string[] }): string {
    if (!options || typeof options.owner !== 'string' || options.owner === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintAllocationToken: owner must be a non-empty string.',
      );
    const token = `${randomId(8)}.${randomSecret(32)}`;
    this.#ctx.allocationTokens.add(token, {
      owner: options.owner,
      pools: options.pools && [...options.pools],
    });
    return token;
  }

  agent(serviceIdOrAgentId: string): AgentRecord | undefined {
    const found = this.#ctx.state.find(serviceIdOrAgentId)[0];
    return found && snapshotAgent(found);
  }

  revoke(serviceIdOrAgentId: string): void {
    const agents = this.#ctx.state.find(serviceIdOrAgentId);
    if (agents.length === 0)
      throw new MtlsError(
        'ERR_MTLS_TESTKIT_UNKNOWN_IDENTITY',
        'revoke: no registered identity has this service id or agent id; see backend.agents.',
      );
    for (const a of agents) a.revoked = true;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const w of this.#waits) {
        clearTimeout(w.timer);
        w.resolve();
      }
      this.#waits.clear();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  /** @internal a real-time wait that {@link close} cuts short. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.#waits.delete(w);
          resolve();
        }, ms),
        resolve,
      };
      this.#waits.add(w);
    });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  toJSON(): Record<string, unknown> {
    return { url: this.url, caPem: this.caPem, registrations: this.registrations, agents: this.agents };
  }

  [inspect.custom](): string {
    return `TestBackend { url: '${this.url}', registrations: ${this.registrations}, agents: ${this.#ctx.state.agents.size}, adminToken: '[redacted]' }`;
  }
}

/** Starts the HTTPS server behind {@link createTestBackend}. */
export async function startBackendServer(config: BackendConfig): Promise<TestBackend> {
  const { settings, clock } = config;
  const faults = new BackendFaults();
  const now = (): number => clock.now() + faults.clockOffsetMs;
  // The CA must cover both the real time (OpenSSL checks the server certificate with it)
  // and the backend clock, which may be fake and far away.
  const start = Math.min(Date.now(), now()) - 86_400_000;
  const end = Math.max(Date.now(), now()) + 10 * YEAR;
  const ca =
    config.ca ??
    (await createCertificateAuthority({
      subject: { commonName: config.caCommonName, organization: 'mtlskit testkit' },
      keyAlgorithm: settings.keyAlgorithm,
      notBefore: new Date(Math.floor(start / 1000) * 1000),
      notAfter: new Date(Math.floor(end / 1000) * 1000),
    }));
  const serverCert = await ca.issue({
    profile: 'server',
    keyAlgorithm: settings.keyAlgorithm,
    subject: { commonName: 'localhost' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    notBefore: new Date(Math.floor(start / 1000) * 1000),
    notAfter: new Date(Math.floor((Math.max(Date.now(), now()) + YEAR) / 1000) * 1000),
  });
  let foreign: Promise<CertificateAuthority> | undefined;
  const installTokens = new TokenRegistry<InstallTokenEntry>();
  const tokenIndex = new Map<string, InstallTokenEntry>();
  const allocationTokens = new TokenRegistry<AllocationTokenEntry>();
  for (const t of config.allocationTokens) {
    if (!t || typeof t.token !== 'string' || t.token === '' || typeof t.owner !== 'string' || t.owner === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'createTestBackend: each allocation token needs a token and an owner.',
      );
    allocationTokens.add(t.token, { owner: t.owner, pools: t.pools && [...t.pools] });
  }
  const ctx: BackendContext = {
    ca,
    caPem: ca.certificatePem,
    faults,
    state: new BackendState(),
    installTokens,
    allocationTokens,
    adminTokenHash: hashSecret(config.adminToken),
    settings,
    now,
    foreignCa: () => {
      foreign ??= createCertificateAuthority({
        // The same name with another key: the "CA was regenerated" case.
        subject: ca.certificate.subject,
        keyAlgorithm: settings.keyAlgorithm,
        notBefore: new Date(Math.floor(start / 1000) * 1000),
        notAfter: new Date(Math.floor(end / 1000) * 1000),
      });
      return foreign;
    },
    mintInstallToken: (input) => {
      const id = randomId(8);
      const token = `${id}.${randomSecret(32)}`;
      const entry: InstallTokenEntry = {
        serviceName: input.serviceName,
        serviceType: input.serviceType,
        controllerName: input.controllerName,
        expiresAt: now() + input.ttlMs,
        use: undefined,
      };
      installTokens.add(token, entry);
      tokenIndex.set(id, entry);
      return { token, expiresAt: entry.expiresAt };
    },
  };

  const routes = new Map<string, RouteName>(
    (Object.keys(PATH_KEYS) as (keyof BackendPaths)[]).map((k) => [config.paths[k], PATH_KEYS[k]]),
  );
  let backend: TestBackendServer | undefined;
  const server = createServer(
    {
      key: serverCert.privateKeyPem!,
      cert: serverCert.certificatePem,
      ca: ca.certificatePem,
      requestCert: true,
      // The register call has no client certificate: each route checks its own auth.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      void handle(req, res);
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    const entry = {
      method: req.method ?? '',
      path,
      route,
      status: 0,
      code: undefined as string | undefined,
      dropped: false,
      clientCertificate: hasClientCertificate(req),
      at: new Date(now()),
    };
    try {
      const raw = await readBody(req, config.maxBodyBytes);
      if (!route) throw new ApiError(404, 'NOT_FOUND', 'No such call: see docs/protocol.md for the paths.');
      if (req.method !== 'POST')
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'Use POST for this call.', {
          headers: { allow: 'POST' },
        });
      const delay = faults.takeDelay(route);
      if (delay > 0) await backend!.sleep(delay);
      const status = faults.takeStatus(route);
      if (status) {
        const seconds = Math.ceil(status.retryAfterMs / 1000);
        throw status.status === 429
          ? new ApiError(429, 'RATE_LIMITED', `Too many requests: retry after ${seconds} s.`, {
              headers: { 'retry-after': String(seconds) },
              extra: { retry_after: seconds },
            })
          : new ApiError(
              503,
              'SERVICE_UNAVAILABLE',
              `The service is unavailable: retry after ${seconds} s.`,
              {
                headers: { 'retry-after': String(seconds) },
                extra: { retry_after: seconds },
              },
            );
      }
      const result = await HANDLERS[route](ctx, req, parseJsonObject(raw));
      if (result.committed && faults.takeDrop(route)) {
        entry.dropped = true;
        req.socket.destroy();
        return;
      }
      entry.status = result.status;
      sendJson(res, result.status, result.body, result.headers);
    } catch (e) {
      const err =
        e instanceof ApiError
          ? e
          : new ApiError(
              500,
              'INTERNAL_ERROR',
              'The test backend failed on this call; see backend.internalErrors.',
            );
      if (!(e instanceof ApiError))
        ctx.state.internalErrors.push(e instanceof Error ? e : new Error(String(e)));
      entry.status = err.status;
      entry.code = err.code;
      const headers = err.status === 413 ? { ...err.headers, connection: 'close' } : err.headers;
      if (!res.headersSent && !res.destroyed) sendJson(res, err.status, err.body(), headers);
    } finally {
      ctx.state.log(Object.freeze(entry));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  backend = new TestBackendServer(server, ctx, config.adminToken, config.paths, tokenIndex);
  return backend;
}
