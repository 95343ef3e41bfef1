import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { MtlsError } from '@mtlskit/core';
import { Redis } from 'ioredis';
import {
  ADD_CERTIFICATE,
  AUTHENTICATE,
  CLAIM,
  COMPLETE,
  HEARTBEAT,
  RELEASE,
  REVOKE,
  type RedisScript,
} from './redis-scripts.js';
import type {
  ClaimResult,
  RegistrationStore,
  StoredAllocationToken,
  StoredCertificate,
  StoredHeartbeat,
  StoredIdentity,
  StoredInstallToken,
  TokenClaim,
} from './registration-store.js';
import { StoreUnavailableError } from './store-unavailable-error.js';

/**
 * Options of {@link createRedisStore}.
 *
 * @example
 * ```ts
 * const options: CreateRedisStoreOptions = { url: 'redis://:secret@redis.internal:6379/2', keyPrefix: 'enroll:' };
 * ```
 */
export interface CreateRedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * An ioredis client to use instead of opening one. The store never closes it; it
   * should not queue commands while disconnected (`enableOfflineQueue: false`), and the
   * store refuses calls while `client.status` is not `'ready'` either way.
   */
  client?: Redis;
  /** Put in front of every key. Default `'mtlskit:'`. */
  keyPrefix?: string;
  /** A call that gets no answer within this time fails with `ERR_MTLS_STORE_UNAVAILABLE`. Default 2000. */
  commandTimeoutMs?: number;
  /** `retryAfterMs` of the unavailable errors (the service's `Retry-After`). Default 1000. */
  retryAfterMs?: number;
  /** Reconnect backoff of the client the store opens: doubles from `minDelayMs` up to `maxDelayMs`, with jitter. Default 100 / 5000. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

/** Hash fields (flat `[k, v, k, v…]` or an object) to an identity. */
function toIdentity(serviceId: string, h: Record<string, string>): StoredIdentity | undefined {
  if (!h['info']) return undefined;
  const info = JSON.parse(h['info']) as Omit<
    StoredIdentity,
    | 'revoked'
    | 'renewals'
    | 'heartbeats'
    | 'lastHeartbeat'
    | 'certificateFingerprint'
    | 'notAfter'
    | 'serviceId'
  >;
  return {
    ...info,
    controllerName: info.controllerName ?? undefined,
    serviceId,
    revoked: h['revoked'] === '1',
    renewals: Number(h['renewals'] ?? 0),
    heartbeats: Number(h['heartbeats'] ?? 0),
    lastHeartbeat: h['hb'] ? (JSON.parse(h['hb']) as StoredHeartbeat) : undefined,
    certificateFingerprint: h['fp'] ?? '',
    notAfter: Number(h['na'] ?? 0),
  };
}

function pairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/**
 * A {@link RegistrationStore} on Redis, shared by any number of service replicas. Data
 * model and failure behaviour: docs/server.md. Every key has a TTL; nothing scans keys.
 * Calls fail fast with {@link StoreUnavailableError} while Redis is unreachable, and the
 * client reconnects with backoff, so the service resumes by itself when Redis returns.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'enroll:' });
 * await store.ready();
 * ```
 */
export class RedisStore implements RegistrationStore {
  /** The ioredis client in use. */
  readonly client: Redis;
  readonly #prefix: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #retryAfterMs: number;
  #closed = false;
  #lastError: Error | undefined;

  constructor(options: CreateRedisStoreOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw invalid('createRedisStore: options must be an object.');
    const prefix = options.keyPrefix ?? 'mtlskit:';
    if (typeof prefix !== 'string' || /[\s*?[\]]/.test(prefix))
      throw invalid('createRedisStore: keyPrefix must be a string without spaces or glob characters.');
    this.#prefix = prefix;
    this.#timeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, 2000);
    this.#retryAfterMs = positive('retryAfterMs', options.retryAfterMs, 1000);
    const min = positive('reconnect.minDelayMs', options.reconnect?.minDelayMs, 100);
    const max = Math.max(min, positive('reconnect.maxDelayMs', options.reconnect?.maxDelayMs, 5000));
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
    } else {
      const url = options.url ?? 'redis://127.0.0.1:6379';
      if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
        throw invalid('createRedisStore: url must start with redis:// or rediss://.');
      this.client = new Redis(url, {
        // Fail fast instead of queueing: a queued write could run after its caller got a 503.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout: this.#timeoutMs,
        retryStrategy: (times) => {
          const d = Math.min(max, min * 2 ** Math.min(times - 1, 20));
          return Math.round(d / 2 + (Math.random() * d) / 2);
        },
      });
      this.#owned = true;
    }
    // Without a listener an 'error' event would crash the process; failures surface per call.
    this.client.on('error', (e: Error) => {
      this.#lastError = e;
    });
  }

  /** Resolves when the client is connected; rejects with `ERR_MTLS_STORE_UNAVAILABLE` after `close()` or on abort. */
  ready(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (e?: Error) => {
        this.client.off('ready', onReady);
        clearInterval(poll);
        options.signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve();
      };
      const onReady = () => done();
      const onAbort = () => done(this.#unavailable('ready() was aborted before Redis answered'));
      const poll = setInterval(() => {
        if (this.#closed) done(this.#unavailable('the store was closed'));
        else if (this.client.status === 'ready') done();
      }, 100);
      this.client.on('ready', onReady);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort);
    });
  }

  async putInstallToken(t: StoredInstallToken, ttlMs: number): Promise<void> {
    const key = this.#key('token', t.id);
    const fields = ['h', t.secretHash, 'sn', t.serviceName, 'st', t.serviceType, 'exp', String(t.expiresAt)];
    if (t.controllerName !== undefined) fields.push('cn', t.controllerName);
    await this.#run(() =>
      this.client
        .multi()
        .hset(key, ...fields)
        .pexpire(key, Math.ceil(ttlMs))
        .exec(),
    );
  }

  async getInstallToken(
    id: string,
  ): Promise<{ token: StoredInstallToken; claim: TokenClaim | undefined } | undefined> {
    const h = await this.#run(() => this.client.hgetall(this.#key('token', id)));
    if (!h['h'] || !h['exp']) return undefined;
    const token: StoredInstallToken = {
      id,
      secretHash: h['h'],
      serviceName: h['sn'] ?? '',
      serviceType: h['st'] === 'controller' ? 'controller' : 'agent',
      controllerName: str(h['cn']),
      expiresAt: Number(h['exp']),
    };
    const claim: TokenClaim | undefined = h['c_spki']
      ? {
          spki: h['c_spki'],
          serviceId: h['c_sid'] ?? '',
          leaseUntil: Number(h['c_lease'] ?? 0),
          response: str(h['c_resp']),
        }
      : undefined;
    return { token, claim };
  }

  async claimInstallToken(
    id: string,
    c: { spki: string; serviceId: string; now: number; leaseMs: number; keepMs: number },
  ): Promise<ClaimResult> {
    const r = (await this.#script(
      CLAIM,
      [this.#key('token', id)],
      [
        c.spki,
        c.serviceId,
        String(Math.floor(c.now)),
        String(Math.ceil(c.leaseMs)),
        String(Math.ceil(c.keepMs)),
      ],
    )) as (string | null)[];
    const kind = r[0];
    if (kind === 'claimed') return { kind, serviceId: String(r[1]) };
    if (kind === 'taken')
      return {
        kind,
        claim: { spki: String(r[1]), serviceId: String(r[2]), leaseUntil: Number(r[3]), response: str(r[4]) },
      };
    return kind === 'expired' ? { kind: 'expired' } : { kind: 'missing' };
  }

  async completeClaim(id: string, spki: string, response: string): Promise<string | undefined> {
    const r = await this.#script(COMPLETE, [this.#key('token', id), this.#key('stats')], [spki, response]);
    return str(r);
  }

  async releaseClaim(id: string, spki: string): Promise<void> {
    await this.#script(RELEASE, [this.#key('token', id)], [spki]);
  }

  async putIdentity(identity: StoredIdentity, certificate: StoredCertificate, keepMs: number): Promise<void> {
    const {
      serviceId,
      revoked,
      renewals,
      heartbeats,
      lastHeartbeat,
      certificateFingerprint,
      notAfter,
      ...info
    } = identity;
    const key = this.#key('identity', serviceId);
    const agent = this.#key('agent', identity.agentId);
    const keep = Math.ceil(keepMs);
    const certKeep = Math.max(1, Math.ceil(keepMs));
    await this.#run(() =>
      this.client
        .multi()
        .hset(
          key,
          'info',
          JSON.stringify(info),
          'agent_id',
          identity.agentId,
          'fp',
          certificateFingerprint,
          'na',
          String(notAfter),
        )
        // A same-key takeover writes the identity again: never undo a revocation or counts.
        .hsetnx(key, 'revoked', revoked ? '1' : '0')
        .hsetnx(key, 'renewals', String(renewals))
        .hsetnx(key, 'heartbeats', String(heartbeats))
        .pexpire(key, keep)
        .set(this.#key('cert', certificate.fingerprint), certJson(certificate), 'PX', certKeep)
        .sadd(agent, serviceId)
        .pexpire(agent, keep)
        .exec(),
    );
  }

  async getIdentity(serviceId: string): Promise<StoredIdentity | undefined> {
    return toIdentity(
      serviceId,
      await this.#run(() => this.client.hgetall(this.#key('identity', serviceId))),
    );
  }

  async authenticate(
    fingerprint: string,
  ): Promise<{ certificate: StoredCertificate; identity: StoredIdentity } | undefined> {
    const r = (await this.#script(
      AUTHENTICATE,
      [this.#key('cert', fingerprint)],
      [this.#key('identity', '')],
    )) as [string, unknown] | null;
    if (!r) return undefined;
    const c = JSON.parse(r[0]) as { s: string; b: number; a: number };
    const identity = toIdentity(c.s, pairs(r[1]));
    if (!identity) return undefined;
    return { certificate: { fingerprint, serviceId: c.s, notBefore: c.b, notAfter: c.a }, identity };
  }

  async addCertificate(
    certificate: StoredCertificate,
    keepMs: number,
  ): Promise<'ok' | 'revoked' | 'missing'> {
    const r = await this.#script(
      ADD_CERTIFICATE,
      [
        this.#key('identity', certificate.serviceId),
        this.#key('cert', certificate.fingerprint),
        this.#key('stats'),
      ],
      [
        certJson(certificate),
        String(Math.max(1, Math.ceil(keepMs))),
        certificate.fingerprint,
        String(certificate.notAfter),
        this.#key('agent', ''),
      ],
    );
    return r === 'ok' || r === 'revoked' ? r : 'missing';
  }

  async recordHeartbeat(serviceId: string, heartbeat: StoredHeartbeat): Promise<void> {
    await this.#script(
      HEARTBEAT,
      [this.#key('identity', serviceId), this.#key('stats')],
      [JSON.stringify(heartbeat)],
    );
  }

  async revoke(serviceIdOrAgentId: string): Promise<string[]> {
    const r = await this.#script(
      REVOKE,
      [this.#key('identity', serviceIdOrAgentId), this.#key('agent', serviceIdOrAgentId)],
      [serviceIdOrAgentId, this.#key('identity', '')],
    );
    return Array.isArray(r) ? r.map(String) : [];
  }

  async putAllocationToken(t: StoredAllocationToken): Promise<void> {
    await this.#run(() =>
      this.client.hset(
        this.#allocKey(t.id),
        'h',
        t.secretHash,
        'owner',
        t.owner,
        'pools',
        t.pools ? JSON.stringify(t.pools) : '',
      ),
    );
  }

  async getAllocationToken(id: string): Promise<StoredAllocationToken | undefined> {
    const h = await this.#run(() => this.client.hgetall(this.#allocKey(id)));
    if (!h['h'] || !h['owner']) return undefined;
    return {
      id,
      secretHash: h['h'],
      owner: h['owner'],
      pools: h['pools'] ? (JSON.parse(h['pools']) as string[]) : undefined,
    };
  }

  async stats(): Promise<{ registrations: number; renewals: number; heartbeats: number }> {
    const h = await this.#run(() => this.client.hgetall(this.#key('stats')));
    return {
      registrations: Number(h['registrations'] ?? 0),
      renewals: Number(h['renewals'] ?? 0),
      heartbeats: Number(h['heartbeats'] ?? 0),
    };
  }

  /** No client options (they may hold the Redis password). */
  toJSON(): Record<string, unknown> {
    return { store: 'redis', keyPrefix: this.#prefix, status: this.client.status };
  }

  [inspect.custom](): string {
    return `RedisStore { keyPrefix: '${this.#prefix}', status: '${this.client.status}' }`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    if (this.client.status === 'ready') {
      await Promise.race([
        this.client.quit().catch(() => undefined),
        new Promise((r) => setTimeout(r, this.#timeoutMs).unref()),
      ]);
    }
    this.client.disconnect();
  }

  #key(kind: string, id = ''): string {
    return `${this.#prefix}${kind}${id === '' && kind === 'stats' ? '' : `:${id}`}`;
  }

  // A bearer token without a dot is its own id (docs/protocol.md): never put it in a key name.
  #allocKey(id: string): string {
    return this.#key('alloc', createHash('sha256').update(id).digest('hex'));
  }

  #unavailable(why: string, cause?: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`Redis is unavailable (${why}): the call can be retried.`, {
      retryAfterMs: this.#retryAfterMs,
      cause,
    });
  }

  async #script(s: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    return this.#run(async () => {
      try {
        return await this.client.evalsha(s.sha, s.keys, ...keys, ...args);
      } catch (e) {
        if (!String((e as Error)?.message).startsWith('NOSCRIPT')) throw e;
        return this.client.eval(s.lua, s.keys, ...keys, ...args);
      }
    });
  }

  /** Runs one call with a deadline; connection trouble becomes {@link StoreUnavailableError}. */
  async #run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#unavailable('the store was closed');
    if (this.client.status !== 'ready')
      throw this.#unavailable(
        `connection ${this.client.status}${this.#lastError ? `: ${this.#lastError.message}` : ''}`,
      );
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(this.#unavailable(`no answer within ${this.#timeoutMs} ms`)),
            this.#timeoutMs,
          );
        }),
      ]);
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      const message = String((e as Error)?.message ?? e);
      // A script or argument bug is ours (a 500); anything else means Redis cannot serve now.
      if (/^(ERR|WRONGTYPE)\b/.test(message) && !/max number of clients/.test(message)) throw e;
      throw this.#unavailable(message.split('\n')[0] ?? 'error', e);
    } finally {
      clearTimeout(timer);
    }
  }
}

function certJson(c: StoredCertificate): string {
  return JSON.stringify({ s: c.serviceId, b: c.notBefore, a: c.notAfter });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(`createRedisStore: ${name} must be a positive number of milliseconds.`);
  return value;
}

/**
 * A store on Redis for several replicas of a registration service (one connection per
 * store). Pass `client` to reuse an ioredis client. Keys live under `keyPrefix` and all
 * have TTLs; see docs/server.md for the data model and what a Redis data loss costs.
 *
 * @example
 * ```ts
 * import { createRedisStore, createRegistrationService } from '@mtlskit/server';
 * const store = createRedisStore({ url: process.env.REDIS_URL, keyPrefix: 'enroll:' });
 * const service = createRegistrationService({ issuer: ca, store });
 * await service.ready();
 * ```
 */
export function createRedisStore(options: CreateRedisStoreOptions = {}): RedisStore {
  return new RedisStore(options);
}
