import { type AgentOptions, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { CredentialSource, Credentials, MtlsError } from '@mtlskit/core';
import { authorizeServerOption, checkServerIdentityWith } from '../lib/authorize-server.js';
import { buildSecureContext } from '../lib/secure-context.js';
import { resolveTlsVersions, type TlsVersionOptions } from '../lib/tls-versions.js';
import type { PeerIdentity } from '../server/get-peer-identity.js';

/** Options of {@link createMtlsHttpsAgent}. */
export interface MtlsHttpsAgentOptions extends TlsVersionOptions {
  /**
   * Plain `https.Agent` options (`keepAlive`, `maxSockets`, `timeout`…). TLS material
   * (`cert`, `key`, `ca`, `pfx`, `secureContext`) is ignored: it comes from the source.
   * Default `{ keepAlive: true }`.
   */
  agentOptions?: Omit<AgentOptions, 'cert' | 'key' | 'ca' | 'pfx' | 'secureContext' | 'rejectUnauthorized'>;
  /**
   * Accept any server certificate. Disables peer verification: for local experiments
   * only. Default `false`.
   */
  dangerouslySkipServerVerification?: boolean;
  /**
   * Accept the server by its verified identity instead of its host name, e.g. by SPIFFE ID:
   * `createPeerAllowList({ spiffeIds: ['spiffe://example.org/api'] })`. The chain is still
   * verified; a refused server fails the request with `ERR_MTLS_SERVER_NOT_AUTHORIZED`.
   * Default: the usual host-name check.
   */
  authorizeServer?: (peer: PeerIdentity) => boolean;
}

interface Generation {
  readonly credentials: Credentials;
  readonly context: SecureContext;
}

const GENERATION = Symbol('mtlskit.generation');
type TaggedSocket = Duplex & { [GENERATION]?: number };

/**
 * An `https.Agent` that always presents the current identity of a
 * {@link CredentialSource}: see {@link createMtlsHttpsAgent}.
 *
 * @example
 * ```ts
 * import https from 'node:https';
 * const agent = new MtlsHttpsAgent(source, { agentOptions: { maxSockets: 32 } });
 * https.get('https://api.internal:8443/health', { agent }, (res) => res.resume());
 * ```
 */
export class MtlsHttpsAgent extends HttpsAgent {
  readonly #source: CredentialSource;
  readonly #versions: ReturnType<typeof resolveTlsVersions>;
  readonly #rejectUnauthorized: boolean;
  readonly #checkServerIdentity: ReturnType<typeof checkServerIdentityWith> | undefined;
  #generation: Generation | undefined;
  #closed = false;
  readonly #onUpdate = (c: Credentials): void => this.#swap(c);
  readonly #onSourceError = (e: MtlsError): void => {
    this.emit('credential-error', e);
  };

  constructor(source: CredentialSource, options: MtlsHttpsAgentOptions = {}) {
    const {
      cert: _c,
      key: _k,
      ca: _a,
      pfx: _p,
      secureContext: _s,
      ...plain
    } = (options.agentOptions ?? {}) as AgentOptions;
    super({ keepAlive: true, ...plain });
    this.#source = source;
    this.#versions = resolveTlsVersions(options);
    this.#rejectUnauthorized = options.dangerouslySkipServerVerification !== true;
    const authorizeServer = authorizeServerOption(options.authorizeServer);
    this.#checkServerIdentity = authorizeServer && checkServerIdentityWith(authorizeServer);
    source.on('update', this.#onUpdate);
    source.on('error', this.#onSourceError);
    try {
      this.#swap(source.current());
    } catch {
      source.ready().then(
        (c) => this.#swap(c),
        () => undefined,
      );
    }
  }

  /** The generation new sockets use, or 0 before the source is ready. */
  get generation(): number {
    return this.#generation?.credentials.generation ?? 0;
  }

  // The generation is part of the pool name, so sockets and TLS sessions are never shared
  // between identities (Node's getName ignores secureContext).
  override getName(options?: RequestOptions): string {
    return `${super.getName(options)}:mtls-g${this.generation}`;
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const open = (gen: Generation): Duplex => {
      const socket = super.createConnection(
        {
          ...options,
          ...this.#versions,
          secureContext: gen.context,
          rejectUnauthorized: this.#rejectUnauthorized,
          ...(this.#checkServerIdentity === undefined
            ? {}
            : { checkServerIdentity: this.#checkServerIdentity }),
        } as RequestOptions,
        undefined,
      ) as TaggedSocket;
      socket[GENERATION] = gen.credentials.generation;
      return socket;
    };
    const gen = this.#generation;
    if (gen !== undefined) return open(gen);
    // Before the first identity: create the socket once the source is ready.
    this.#source.ready().then(
      () => {
        const ready = this.#generation;
        if (ready === undefined || this.#closed)
          callback?.(new Error('The mTLS https.Agent was destroyed.'), undefined as never);
        else callback?.(null, open(ready));
      },
      (e: unknown) => callback?.(e instanceof Error ? e : new Error(String(e)), undefined as never),
    );
    return undefined;
  }

  // Sockets of an old generation are closed when their request ends instead of being kept.
  override keepSocketAlive(socket: Duplex): boolean {
    if ((socket as TaggedSocket)[GENERATION] !== this.generation) return false;
    return (HttpsAgent.prototype.keepSocketAlive as (s: Duplex) => boolean).call(this, socket);
  }

  override destroy(): void {
    this.#closed = true;
    this.#source.off('update', this.#onUpdate);
    this.#source.off('error', this.#onSourceError);
    super.destroy();
  }

  #swap(credentials: Credentials): void {
    if (this.#closed) return;
    if (this.#generation !== undefined && credentials.generation <= this.#generation.credentials.generation)
      return;
    let context: SecureContext;
    try {
      context = buildSecureContext(credentials, this.#versions);
    } catch (e) {
      this.emit('credential-error', e);
      return;
    }
    this.#generation = { credentials, context };
    // Idle sockets of older generations are closed now; busy ones when their request ends.
    for (const sockets of Object.values(this.freeSockets)) {
      for (const socket of sockets ?? []) {
        if ((socket as TaggedSocket)[GENERATION] !== credentials.generation) socket.destroy();
      }
    }
    this.emit('swap', { to: credentials.generation });
  }
}

/**
 * Creates an `https.Agent` for axios, got, node-fetch or `https.request` that always
 * presents the current identity of `source`. One `SecureContext` per generation; the
 * generation is part of the pool key, so new sockets (and TLS sessions) use the current
 * generation, idle sockets of old generations are closed on swap and busy ones as soon as
 * their response ends. Keep-alive is on by default. TLS 1.2 is the floor.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { createMtlsHttpsAgent } from '@mtlskit/node-adapter';
 * const httpsAgent = createMtlsHttpsAgent(source);
 * const api = axios.create({ baseURL: 'https://api.internal:8443', httpsAgent });
 * // got: got(url, { agent: { https: httpsAgent } }); node-fetch: fetch(url, { agent: httpsAgent })
 * ```
 */
export function createMtlsHttpsAgent(
  source: CredentialSource,
  options: MtlsHttpsAgentOptions = {},
): MtlsHttpsAgent {
  return new MtlsHttpsAgent(source, options);
}
