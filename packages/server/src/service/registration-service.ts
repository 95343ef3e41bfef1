import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { type Clock, isMtlsError, MtlsError } from '@mtlskit/core';
import { EventEmitter } from 'eventemitter3';
import { parseJsonObject, readBody, sendJson } from '../http/http.js';
import { ProtocolError } from '../http/protocol-error.js';
import { hasClientCertificate } from '../lib/client-identity.js';
import { hashSecret, randomId, randomSecret } from '../lib/secret.js';
import { splitToken } from '../lib/token-parts.js';
import { handleInstallTokens, handleRevoke } from '../routes/admin.js';
import { handleAllocate, handleCert } from '../routes/allocate.js';
import { handleHeartbeat } from '../routes/heartbeat.js';
import { handleRegister } from '../routes/register.js';
import { handleRenew } from '../routes/renew.js';
import type { RegistrationStore } from '../store/registration-store.js';
import type { RouteHandler, ServiceContext, ServiceSettings } from './service-context.js';
import type {
  CertificateIssuer,
  RegistrationServiceEvents,
  RouteName,
  ServiceHooks,
  ServicePaths,
} from './service-types.js';

const HANDLERS: Record<RouteName, RouteHandler> = {
  'install-tokens': handleInstallTokens,
  register: handleRegister,
  renew: handleRenew,
  heartbeat: handleHeartbeat,
  allocate: handleAllocate,
  cert: handleCert,
  revoke: handleRevoke,
};

const PATH_KEYS: Record<keyof ServicePaths, RouteName> = {
  installTokens: 'install-tokens',
  register: 'register',
  renew: 'renew',
  heartbeat: 'heartbeat',
  allocate: 'allocate',
  cert: 'cert',
  revoke: 'revoke',
};

/**
 * Options of {@link RegistrationService.mintInstallToken}.
 *
 * @example
 * ```ts
 * const { token } = await service.mintInstallToken({ serviceName: 'billing', ttlMs: 60_000 });
 * ```
 */
export interface MintInstallTokenOptions {
  /** The `service_name` the token is bound to. */
  serviceName: string;
  /** The `service_type` the token is bound to. Default `'agent'`. */
  serviceType?: 'agent' | 'controller';
  /** When set, a register must send this `controller_name`. Default: not bound. */
  controllerName?: string;
  /** Default the service's `tokenTtlMs`. */
  ttlMs?: number;
}

/**
 * A minted install token. `token` is the secret to hand to one agent; `id` is its public
 * name (for logs).
 *
 * @example
 * ```ts
 * const { token, id, expiresAt } = await service.mintInstallToken({ serviceName: 'billing' });
 * ```
 */
export interface MintedInstallToken {
  /** `<id>.<secret>`: a secret, give it to one agent only. */
  readonly token: string;
  readonly id: string;
  readonly expiresAt: Date;
}

/** Resolved configuration handed from {@link createRegistrationService}. */
export interface ServiceConfig {
  readonly issuer: CertificateIssuer;
  readonly store: RegistrationStore;
  readonly settings: ServiceSettings;
  readonly clock: Clock;
  readonly adminToken: string;
  readonly paths: ServicePaths;
  readonly maxBodyBytes: number;
  readonly hooks: ServiceHooks;
  /** `retryAfterMs` when given explicitly: it then wins over the store's own. */
  readonly retryAfterMsOverride: number | undefined;
}

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

/**
 * The backend half of the mtlskit protocol (docs/protocol.md), made by
 * {@link createRegistrationService}: `handler` is a plain Node `(req, res)` request
 * handler for an HTTPS server that requests (but does not require) client certificates.
 * All state lives in the store, so several replicas on one Redis act as one service.
 *
 * @example
 * ```ts
 * const service = createRegistrationService({ issuer: ca, adminToken });
 * https.createServer({ cert, key, ca: ca.certificatePem, requestCert: true, rejectUnauthorized: false }, service.handler).listen(8443);
 * ```
 */
export class RegistrationService extends EventEmitter<RegistrationServiceEvents> {
  /** The URL paths of the calls. */
  readonly paths: Readonly<ServicePaths>;
  /** The issuing CA certificate (sent as `ca_pem`). */
  readonly caPem: string;
  /** The store behind the service. */
  readonly store: RegistrationStore;
  /** The request handler: mount it in `https.createServer`, Express or Fastify. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #config: ServiceConfig;
  readonly #ctx: ServiceContext;
  readonly #routes: Map<string, RouteName>;
  readonly #waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #closing: Promise<void> | undefined;

  constructor(config: ServiceConfig) {
    super();
    this.#config = config;
    this.paths = Object.freeze({ ...config.paths });
    this.caPem = config.issuer.certificatePem;
    this.store = config.store;
    this.#routes = new Map(
      (Object.keys(PATH_KEYS) as (keyof ServicePaths)[]).map((k) => [config.paths[k], PATH_KEYS[k]]),
    );
    const { store, clock, settings } = config;
    this.#ctx = {
      issuer: config.issuer,
      caPem: config.issuer.certificatePem,
      store,
      settings,
      adminTokenHash: hashSecret(config.adminToken),
      hooks: config.hooks,
      now: () => clock.now(),
      sleep: (ms) => this.#sleep(ms),
      emit: (event, ...args) => {
        (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
      },
      mintInstallToken: (input) => {
        const id = randomId(8);
        const secret = randomSecret(32);
        const expiresAt = clock.now() + input.ttlMs;
        const stored = store.putInstallToken(
          {
            id,
            secretHash: hashSecret(secret).toString('hex'),
            serviceName: input.serviceName,
            serviceType: input.serviceType,
            controllerName: input.controllerName,
            expiresAt,
          },
          input.ttlMs,
        );
        return { token: `${id}.${secret}`, id, expiresAt, stored };
      },
    };
    this.handler = (req, res) => {
      void this.#handle(req, res);
    };
  }

  /** The bearer token of the admin calls. A secret: never shown by `util.inspect` or JSON. */
  get adminToken(): string {
    return this.#config.adminToken;
  }

  /** Service time in ms (the injected clock). */
  now(): number {
    return this.#ctx.now();
  }

  /** Resolves once the store is connected and the service can answer calls. */
  ready(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.store.ready(options);
  }

  /**
   * Mints an install token `<id>.<secret>` bound to one service; only SHA-256 of the
   * secret is stored. Same as the admin call `POST /api/v1/install-tokens`.
   */
  async mintInstallToken(options: MintInstallTokenOptions): Promise<MintedInstallToken> {
    const minted = this.createInstallToken(options);
    await minted.stored;
    return { token: minted.token, id: minted.id, expiresAt: minted.expiresAt };
  }

  /**
   * Like {@link RegistrationService.mintInstallToken}, but returns the token at once;
   * `stored` settles when the store has it (at once for the memory store). For callers
   * that need the token synchronously, such as test backends.
   */
  createInstallToken(options: MintInstallTokenOptions): MintedInstallToken & { stored: Promise<void> } {
    if (!options || typeof options.serviceName !== 'string' || options.serviceName === '')
      throw invalid('mintInstallToken: serviceName must be a non-empty string.');
    const serviceType = options.serviceType ?? 'agent';
    if (!this.#config.settings.serviceTypes.includes(serviceType))
      throw invalid(
        `mintInstallToken: serviceType must be one of ${this.#config.settings.serviceTypes.join(', ')}.`,
      );
    if (
      options.controllerName !== undefined &&
      (typeof options.controllerName !== 'string' || options.controllerName === '')
    )
      throw invalid('mintInstallToken: controllerName must be a non-empty string when given.');
    const ttlMs = options.ttlMs ?? this.#config.settings.tokenTtlMs;
    if (!(typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0))
      throw invalid('mintInstallToken: ttlMs must be a positive number of milliseconds.');
    const m = this.#ctx.mintInstallToken({
      serviceName: options.serviceName,
      serviceType,
      controllerName: options.controllerName,
      ttlMs,
    });
    return { token: m.token, id: m.id, expiresAt: new Date(m.expiresAt), stored: m.stored };
  }

  /**
   * Adds an allocation (bearer) token for the allocate and cert calls. Without `token` a
   * new `<id>.<secret>` is made; only the hash of the secret is stored. Returns the token.
   */
  async addAllocationToken(options: {
    owner: string;
    pools?: readonly string[];
    token?: string;
  }): Promise<string> {
    if (!options || typeof options.owner !== 'string' || options.owner === '')
      throw invalid('addAllocationToken: owner must be a non-empty string.');
    const token = options.token ?? `${randomId(8)}.${randomSecret(32)}`;
    if (typeof token !== 'string' || token === '' || /\s/.test(token))
      throw invalid('addAllocationToken: token must be a non-empty string without spaces.');
    const { id, secret } = splitToken(token);
    await this.store.putAllocationToken({
      id,
      secretHash: hashSecret(secret).toString('hex'),
      owner: options.owner,
      pools: options.pools && [...options.pools],
    });
    return token;
  }

  /**
   * Revokes the identities with this service id, or else this agent id, on every replica:
   * their renew and heartbeat calls get `403 IDENTITY_REVOKED`. Same as
   * `POST /api/v1/admin/revoke`. Rejects with `ERR_MTLS_UNKNOWN_IDENTITY` when none match.
   */
  async revoke(target: { serviceId: string } | { agentId: string }): Promise<string[]> {
    const id = (target as { serviceId?: string }).serviceId ?? (target as { agentId?: string }).agentId;
    if (typeof id !== 'string' || id === '') throw invalid('revoke: pass { serviceId } or { agentId }.');
    const revoked = await this.store.revoke(id);
    if (revoked.length === 0)
      throw new MtlsError(
        'ERR_MTLS_UNKNOWN_IDENTITY',
        'revoke: no registered identity has this service id or agent id.',
      );
    this.emit('revoked', { serviceIds: revoked });
    return revoked;
  }

  /**
   * Stops answering (later calls get `503`), cuts waits short and closes the store.
   * Idempotent. Does not close the HTTPS server the handler is mounted on.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const w of this.#waits) {
        clearTimeout(w.timer);
        w.resolve();
      }
      this.#waits.clear();
      await this.store.close();
    })();
    return this.#closing;
  }

  toJSON(): Record<string, unknown> {
    return { paths: this.paths, caPem: this.caPem };
  }

  [inspect.custom](): string {
    return `RegistrationService { paths: ${Object.keys(this.paths).length}, adminToken: '[redacted]' }`;
  }

  #sleep(ms: number): Promise<void> {
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

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = this.#routes.get(path);
    const entry = {
      method: req.method ?? '',
      path,
      route,
      status: 0,
      code: undefined as string | undefined,
      dropped: false,
      clientCertificate: hasClientCertificate(req),
      at: new Date(this.#ctx.now()),
    };
    const retryAfterMs = this.#config.settings.retryAfterMs;
    try {
      const raw = await readBody(req, this.#config.maxBodyBytes);
      if (!route)
        throw new ProtocolError(404, 'NOT_FOUND', 'No such call: see docs/protocol.md for the paths.');
      if (req.method !== 'POST')
        throw new ProtocolError(405, 'METHOD_NOT_ALLOWED', 'Use POST for this call.', {
          headers: { allow: 'POST' },
        });
      if (this.#closing)
        throw new ProtocolError(503, 'SERVICE_UNAVAILABLE', 'The service is shutting down: retry shortly.', {
          retryAfterMs,
        });
      await this.#config.hooks.beforeCall?.(route);
      const result = await HANDLERS[route](this.#ctx, req, parseJsonObject(raw));
      if (result.committed && this.#config.hooks.dropAnswer?.(route)) {
        entry.dropped = true;
        req.socket.destroy();
        return;
      }
      entry.status = result.status;
      sendJson(res, result.status, result.body, result.headers);
    } catch (e) {
      let err: ProtocolError;
      if (e instanceof ProtocolError) err = e;
      else if (isMtlsError(e) && e.code === 'ERR_MTLS_STORE_UNAVAILABLE') {
        this.emit('store-error', e);
        const ms =
          this.#config.retryAfterMsOverride ??
          (e.details?.['retryAfterMs'] as number | undefined) ??
          retryAfterMs;
        err = new ProtocolError(
          503,
          'SERVICE_UNAVAILABLE',
          `The service cannot reach its store: retry after ${Math.ceil(ms / 1000)} s.`,
          { retryAfterMs: ms },
        );
      } else if ((req.socket.destroyed || res.destroyed) && !res.headersSent) {
        // The client went away (an aborted upload): nobody to answer, nothing went wrong here.
        entry.dropped = true;
        return;
      } else {
        this.emit('internal-error', e instanceof Error ? e : new Error(String(e)));
        err = new ProtocolError(500, 'INTERNAL_ERROR', 'The backend failed on this call; see its logs.');
      }
      entry.status = err.status;
      entry.code = err.code;
      const headers = err.status === 413 ? { ...err.headers, connection: 'close' } : err.headers;
      if (!res.headersSent && !res.destroyed) sendJson(res, err.status, err.body(), headers);
    } finally {
      this.emit('request', Object.freeze(entry));
    }
  }
}
