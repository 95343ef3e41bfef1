import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  type CertificateAuthority,
  type Clock,
  createCertificateAuthority,
  MtlsError,
  systemClock,
} from '@mtlskit/core';
import {
  createMemoryStore,
  createRegistrationService,
  ProtocolError,
  type RegistrationService,
} from '@mtlskit/server';
import { BackendFaults } from '../backend/backend-faults.js';
import type {
  CreateTestBackendOptions,
  MintInstallTokenOptions,
  TestBackend,
} from '../backend/create-test-backend.js';
import type {
  AgentRecord,
  AllocationRecord,
  BackendPaths,
  InstallTokenRecord,
  RequestLogEntry,
} from '../backend/types.js';
import { issueBadRenewal } from './bad-renewal.js';
import { newAllocationToken } from './secret.js';

const YEAR = 365 * 86_400_000;
// Bounded so that a long soak test against one backend does not grow without end.
const MAX_LOG = 10_000;

type Store = ReturnType<typeof createMemoryStore>;

class TestBackendServer implements TestBackend {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly paths: Readonly<BackendPaths>;
  readonly faults: BackendFaults;
  readonly #service: RegistrationService;
  readonly #store: Store;
  readonly #server: Server;
  readonly #log: RequestLogEntry[];
  readonly #allocations: AllocationRecord[];
  readonly #internalErrors: Error[];
  #closing: Promise<void> | undefined;

  constructor(
    server: Server,
    service: RegistrationService,
    store: Store,
    faults: BackendFaults,
    logs: { requests: RequestLogEntry[]; allocations: AllocationRecord[]; internalErrors: Error[] },
  ) {
    this.#server = server;
    this.#service = service;
    this.#store = store;
    this.faults = faults;
    this.#log = logs.requests;
    this.#allocations = logs.allocations;
    this.#internalErrors = logs.internalErrors;
    this.caPem = service.caPem;
    this.paths = service.paths;
    this.port = (server.address() as AddressInfo).port;
    this.url = `https://127.0.0.1:${this.port}`;
  }

  get adminToken(): string {
    return this.#service.adminToken;
  }

  get agents(): readonly AgentRecord[] {
    return Object.freeze(
      this.#store.identities().map((e) => snapshot(e.identity, e.certificateFingerprints)),
    );
  }

  get registrations(): number {
    return this.#store.registrations;
  }

  get requests(): readonly RequestLogEntry[] {
    return Object.freeze([...this.#log]);
  }

  get installTokens(): readonly InstallTokenRecord[] {
    return Object.freeze(
      this.#store.installTokens().map(({ token: t, claim }) =>
        Object.freeze({
          id: t.id,
          serviceName: t.serviceName,
          serviceType: t.serviceType,
          controllerName: t.controllerName,
          expiresAt: new Date(t.expiresAt),
          used: claim !== undefined,
          serviceId: claim?.response === undefined ? undefined : claim.serviceId,
        }),
      ),
    );
  }

  get allocations(): readonly AllocationRecord[] {
    return Object.freeze([...this.#allocations]);
  }

  get internalErrors(): readonly Error[] {
    return Object.freeze([...this.#internalErrors]);
  }

  now(): number {
    return this.#service.now();
  }

  mintInstallToken(options: MintInstallTokenOptions): string {
    if (!options || typeof options.serviceName !== 'string' || options.serviceName === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintInstallToken: serviceName must be a non-empty string.',
      );
    // The memory store keeps the token before createInstallToken returns.
    return this.#service.createInstallToken(options).token;
  }

  mintAllocationToken(options: { owner: string; pools?: readonly string[] }): string {
    if (!options || typeof options.owner !== 'string' || options.owner === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'mintAllocationToken: owner must be a non-empty string.',
      );
    const token = newAllocationToken();
    // The memory store writes synchronously, inside this call.
    void this.#service.addAllocationToken({ token, owner: options.owner, pools: options.pools });
    return token;
  }

  agent(serviceIdOrAgentId: string): AgentRecord | undefined {
    const found = this.#store.find(serviceIdOrAgentId)[0];
    if (!found) return undefined;
    const entry = this.#store.identities().find((e) => e.identity.serviceId === found.serviceId);
    return snapshot(found, entry?.certificateFingerprints ?? []);
  }

  revoke(serviceIdOrAgentId: string): void {
    if (this.#store.find(serviceIdOrAgentId).length === 0)
      throw new MtlsError(
        'ERR_MTLS_TESTKIT_UNKNOWN_IDENTITY',
        'revoke: no registered identity has this service id or agent id; see backend.agents.',
      );
    // The memory store revokes synchronously, inside this call.
    void this.#store.revoke(serviceIdOrAgentId);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#service.close();
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    })();
    return this.#closing;
  }

  toJSON(): Record<string, unknown> {
    return { url: this.url, caPem: this.caPem, registrations: this.registrations, agents: this.agents };
  }

  [inspect.custom](): string {
    return `TestBackend { url: '${this.url}', registrations: ${this.registrations}, agents: ${this.#store.identities().length}, adminToken: '[redacted]' }`;
  }
}

function snapshot(a: ReturnType<Store['find']>[number], fingerprints: readonly string[]): AgentRecord {
  const hb = a.lastHeartbeat;
  return Object.freeze({
    serviceId: a.serviceId,
    agentId: a.agentId,
    serviceName: a.serviceName,
    serviceType: a.serviceType,
    controllerName: a.controllerName,
    metadata: Object.freeze({ ...a.metadata }),
    mode: a.mode,
    registeredAt: new Date(a.registeredAt),
    certificateFingerprint: a.certificateFingerprint,
    certificateFingerprints: Object.freeze([...fingerprints]),
    notAfter: new Date(a.notAfter),
    renewals: a.renewals,
    heartbeats: a.heartbeats,
    lastHeartbeat: hb && Object.freeze({ ...hb, receivedAt: new Date(hb.receivedAt) }),
    revoked: a.revoked,
  });
}

function statusFault(status: 429 | 503, retryAfterMs: number): ProtocolError {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return status === 429
    ? new ProtocolError(429, 'RATE_LIMITED', `Too many requests: retry after ${seconds} s.`, { retryAfterMs })
    : new ProtocolError(503, 'SERVICE_UNAVAILABLE', `The service is unavailable: retry after ${seconds} s.`, {
        retryAfterMs,
      });
}

/** Starts the HTTPS server behind {@link createTestBackend}: `@mtlskit/server` on a memory store, plus faults. */
export async function startBackendServer(options: CreateTestBackendOptions): Promise<TestBackend> {
  const clock = options.clock ?? systemClock;
  const keyAlgorithm = options.keyAlgorithm ?? 'ECDSA-P256';
  const lifetimeMs = options.certificateLifetimeMs ?? 3_600_000;
  const backdateMs = options.backdateMs ?? Math.min(60_000, Math.floor(lifetimeMs / 10));
  const faults = new BackendFaults();
  const now = (): number => clock.now() + faults.clockOffsetMs;
  // The CA must cover both the real time (OpenSSL checks the server certificate with it)
  // and the backend clock, which may be fake and far away.
  const start = Math.min(Date.now(), now()) - 86_400_000;
  const end = Math.max(Date.now(), now()) + 10 * YEAR;
  const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  const ca =
    options.ca ??
    (await createCertificateAuthority({
      subject: { commonName: options.caCommonName ?? 'mtlskit testkit CA', organization: 'mtlskit testkit' },
      keyAlgorithm,
      notBefore: second(start),
      notAfter: second(end),
    }));
  const serverCert = await ca.issue({
    profile: 'server',
    keyAlgorithm: keyAlgorithm,
    subject: { commonName: 'localhost' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    notBefore: second(start),
    notAfter: second(Math.max(Date.now(), now()) + YEAR),
  });
  let foreign: Promise<CertificateAuthority> | undefined;
  const foreignCa = () => {
    foreign ??= createCertificateAuthority({
      // The same name with another key: the "CA was regenerated" case.
      subject: ca.certificate.subject,
      keyAlgorithm: keyAlgorithm,
      notBefore: second(start),
      notAfter: second(end),
    });
    return foreign;
  };

  const waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const w = {
        timer: setTimeout(() => {
          waits.delete(w);
          resolve();
        }, ms),
        resolve,
      };
      waits.add(w);
    });

  const store = createMemoryStore();
  const service = createRegistrationService({
    issuer: ca,
    store,
    adminToken: options.adminToken,
    certificateLifetimeMs: options.certificateLifetimeMs,
    tokenTtlMs: options.tokenTtlMs,
    renewAfterFraction: options.renewAfterFraction,
    backdateMs: options.backdateMs,
    tokenReuse: options.tokenReuse,
    keyAlgorithm,
    paths: options.paths,
    maxBodyBytes: options.maxBodyBytes,
    clock: {
      now,
      setTimeout: (cb, delay, o) => clock.setTimeout(cb, delay, o),
      clearTimeout: (t) => clock.clearTimeout(t),
    } as Clock,
    hooks: {
      beforeCall: async (route) => {
        const delay = faults.takeDelay(route);
        if (delay > 0) await sleep(delay);
        const status = faults.takeStatus(route);
        if (status) throw statusFault(status.status, status.retryAfterMs);
      },
      dropAnswer: (route) => faults.takeDrop(route),
      replaceRenewal: (input) => {
        const kind = faults.takeBadRenewal();
        if (!kind) return undefined;
        return issueBadRenewal(kind, input, {
          ca,
          foreignCa,
          keyAlgorithm: keyAlgorithm,
          lifetimeMs,
          backdateMs,
          now: now(),
        });
      },
    },
  });
  for (const t of options.allocationTokens ?? []) {
    if (!t || typeof t.token !== 'string' || t.token === '' || typeof t.owner !== 'string' || t.owner === '')
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'createTestBackend: each allocation token needs a token and an owner.',
      );
    await service.addAllocationToken({ token: t.token, owner: t.owner, pools: t.pools });
  }
  const logs = {
    requests: [] as RequestLogEntry[],
    allocations: [] as AllocationRecord[],
    internalErrors: [] as Error[],
  };
  service.on('request', (entry) => {
    if (logs.requests.length >= MAX_LOG) logs.requests.shift();
    logs.requests.push(entry);
  });
  service.on('allocated', (record) => logs.allocations.push(record));
  service.on('internal-error', (e) => logs.internalErrors.push(e));

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
    service.handler,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const backend = new TestBackendServer(server, service, store, faults, logs);
  const close = backend.close.bind(backend);
  backend.close = () => {
    closed = true;
    for (const w of waits) {
      clearTimeout(w.timer);
      w.resolve();
    }
    waits.clear();
    return close();
  };
  return backend;
}
