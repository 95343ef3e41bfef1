import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';
import {
  type Backoff,
  type BackoffOptions,
  type Clock,
  type ClockTimer,
  type CredentialSource,
  computeRenewalTime,
  createBackoff,
  isMtlsError,
  MtlsError,
  systemClock,
} from '@mtlskit/core';
import { EventEmitter } from 'eventemitter3';
import {
  resolveWorkloadApiAddress,
  type WorkloadApiAddress,
} from '../address/resolve-workload-api-address.js';
import {
  callError,
  createWorkloadApiClient,
  type WorkloadApiClient,
  workloadMetadata,
} from '../lib/grpc-client.js';
import { runAt } from '../lib/long-timeout.js';
import { makeSpiffeCredentials } from './make-spiffe-credentials.js';
import {
  parseX509SvidResponse,
  type X509Context,
  type X509SvidResponseMessage,
} from './parse-x509-svid-response.js';
import { validateX509Svid } from './validate-x509-svid.js';
import type { SpiffeCredentials, X509Svid } from './x509-svid.js';

/** Options of {@link createWorkloadApiSource}. */
export interface WorkloadApiSourceOptions {
  /**
   * The Workload API address: `unix:///path`, `unix:path`, `tcp://IP:PORT` or an absolute
   * socket path. Default: the `SPIFFE_ENDPOINT_SOCKET` environment variable.
   */
  socketPath?: string;
  /** Chooses the SVID to serve among those of one message. Default: the first (the spec's default SVID). */
  pick?: (svids: readonly X509Svid[]) => X509Svid | undefined;
  /** Where time comes from (validation, retries, staleness). Default the system clock. */
  clock?: Clock;
  /**
   * Retry backoff after `PermissionDenied`, `Unavailable` or a dropped stream (core's
   * exponential backoff with full jitter, each wait capped by a share of the current SVID's
   * remaining lifetime). Default `{ initialDelayMs: 1000, maxDelayMs: 30_000 }`.
   */
  backoff?: Omit<BackoffOptions, 'clock' | 'notAfter'>;
  /**
   * Share of the SVID's lifetime after which a stream that sent nothing new is considered
   * stale and restarted. Agents rotate well before this (SPIRE at 1/2). Default `2/3`.
   */
  renewalFraction?: number;
}

/** Payload of the `expired` event. */
export interface SvidExpiredEvent {
  readonly spiffeId: string;
  readonly generation: number;
  readonly expiresAt: Date;
}

/** Events of {@link WorkloadApiSource}. */
export interface WorkloadApiSourceEvents {
  /** A new, validated SVID is in service. */
  update: (c: SpiffeCredentials) => void;
  /** A refused message, a failed or stale stream; the last good SVID stays in service. */
  error: (e: MtlsError) => void;
  /** The SVID in service expired and nothing fresh arrived. */
  expired: (e: SvidExpiredEvent) => void;
}

const STREAM = 'FetchX509SVID';

/**
 * A {@link CredentialSource} fed by the SPIFFE Workload API (SPIRE agent, Teleport tbot):
 * see {@link createWorkloadApiSource}.
 *
 * @example
 * ```ts
 * import { WorkloadApiSource } from '@mtlskit/spiffe';
 * const source = new WorkloadApiSource({ socketPath: 'unix:///run/spire/sockets/agent.sock' });
 * const first = await source.ready();
 * console.log(first.spiffeId, first.notAfter);
 * await source.close();
 * ```
 */
export class WorkloadApiSource extends EventEmitter<WorkloadApiSourceEvents> implements CredentialSource {
  readonly #address: WorkloadApiAddress;
  readonly #pick: (svids: readonly X509Svid[]) => X509Svid | undefined;
  readonly #clock: Clock;
  readonly #retry: Backoff;
  readonly #staleRetry: Backoff;
  readonly #fraction: number;
  #client: WorkloadApiClient | undefined;
  #call: ClientReadableStream<X509SvidResponseMessage> | undefined;
  #current: SpiffeCredentials | undefined;
  #svids: readonly X509Svid[] = [];
  #queue: Promise<void> = Promise.resolve();
  #retryTimer: ClockTimer | undefined;
  #cancelStale: (() => void) | undefined;
  #cancelExpiry: (() => void) | undefined;
  #closed = false;
  #resolveReady!: (c: SpiffeCredentials) => void;
  #rejectReady!: (e: MtlsError) => void;
  readonly #ready: Promise<SpiffeCredentials>;

  constructor(options: WorkloadApiSourceOptions = {}) {
    super();
    this.#address = resolveWorkloadApiAddress(options.socketPath);
    this.#pick = options.pick ?? ((svids) => svids[0]);
    this.#clock = options.clock ?? systemClock;
    this.#fraction = options.renewalFraction ?? 2 / 3;
    const backoff = {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      ...options.backoff,
      clock: this.#clock,
      notAfter: () => this.#current?.notAfter,
    };
    this.#retry = createBackoff(backoff);
    // Restarting a silent stream is rarer than reconnecting a failed one: at least 1 s, growing to 30 s.
    this.#staleRetry = createBackoff({
      ...backoff,
      initialDelayMs: Math.max(1000, backoff.initialDelayMs),
      maxDelayMs: Math.max(30_000, backoff.maxDelayMs),
    });
    this.#ready = new Promise<SpiffeCredentials>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // ready() may never be awaited (a server that only listens to `update`).
    this.#ready.catch(() => undefined);
    this.#connect();
  }

  /** The Workload API address in use (as configured). */
  get address(): string {
    return this.#address.address;
  }

  /** The generation in service, 0 before the first SVID. */
  get generation(): number {
    return this.#current?.generation ?? 0;
  }

  /** @throws {MtlsError} `ERR_MTLS_NO_CREDENTIALS` before the first SVID arrived. */
  current(): SpiffeCredentials {
    if (this.#current === undefined) {
      throw new MtlsError(
        'ERR_MTLS_NO_CREDENTIALS',
        `No X.509-SVID from ${this.#address.address} yet; await source.ready() before using the source.`,
      );
    }
    return this.#current;
  }

  /** All SVIDs of the last accepted message (the served one is chosen by `pick`). */
  svids(): readonly X509Svid[] {
    return this.#svids;
  }

  /**
   * Resolves with the first validated SVID. `PermissionDenied` and `Unavailable` do not
   * reject it (they are retried and reported as `error` events); `close()` and `signal` do.
   */
  ready(options: { signal?: AbortSignal } = {}): Promise<SpiffeCredentials> {
    const { signal } = options;
    if (signal === undefined) return this.#ready;
    if (signal.aborted) return Promise.reject(aborted(signal));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(aborted(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#ready.then(
        (c) => {
          signal.removeEventListener('abort', onAbort);
          resolve(c);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Stops the stream and every timer; the last SVID stays readable with `current()`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectReady(
      new MtlsError('ERR_MTLS_SOURCE_CLOSED', 'The Workload API source was closed before an SVID arrived.'),
    );
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    this.#cancelStale?.();
    this.#cancelExpiry?.();
    this.#dropChannel();
    await this.#queue;
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    this.#client ??= createWorkloadApiClient(this.#address.target);
    const call = (
      this.#client[STREAM] as (r: object, m: unknown) => ClientReadableStream<X509SvidResponseMessage>
    )({}, workloadMetadata());
    this.#call = call;
    call.on('data', (message: X509SvidResponseMessage) => {
      this.#queue = this.#queue.then(() => this.#onMessage(message, call));
    });
    // 'status' always comes once; 'error' only needs a listener so it does not throw.
    call.on('error', () => undefined);
    call.on('status', (status: StatusObject) => {
      this.#queue = this.#queue.then(() => this.#onStreamEnd(call, status));
    });
  }

  async #onMessage(message: X509SvidResponseMessage, call: unknown): Promise<void> {
    if (this.#closed || call !== this.#call) return;
    let context: X509Context;
    let chosen: X509Svid | undefined;
    try {
      context = parseX509SvidResponse(message);
      if (context.svids.length === 0) {
        throw new MtlsError(
          'ERR_MTLS_SPIFFE_NO_SVID',
          `The Workload API at ${this.#address.address} sent a message without SVIDs; the current SVID stays in service.`,
        );
      }
      chosen = this.#pick(context.svids);
      if (chosen === undefined) {
        throw new MtlsError(
          'ERR_MTLS_SPIFFE_NO_SVID',
          `pick() chose none of the SVIDs ${context.svids.map((s) => s.spiffeId).join(', ')}; the current SVID stays in service.`,
          { details: { spiffeIds: context.svids.map((s) => s.spiffeId) } },
        );
      }
      const validated = await validateX509Svid(chosen, context.crlsPem, this.#clock);
      if (this.#closed || call !== this.#call) return;
      this.#retry.reset();
      const previous = this.#current;
      const next = makeSpiffeCredentials(validated, context, chosen.hint, (previous?.generation ?? 0) + 1);
      if (previous !== undefined && sameMaterial(previous, next)) {
        this.#svids = context.svids;
        return;
      }
      const renewed = previous === undefined || previous.certificateChainPem !== next.certificateChainPem;
      this.#current = next;
      this.#svids = context.svids;
      if (renewed) {
        this.#staleRetry.reset();
        this.#armTimers(next);
      }
      if (previous === undefined) this.#resolveReady(next);
      this.emit('update', next);
    } catch (e) {
      this.emit('error', asMtlsError(e));
    }
  }

  async #onStreamEnd(call: unknown, status: StatusObject): Promise<void> {
    if (this.#closed || call !== this.#call) return;
    this.#call = undefined;
    const error =
      status.code === 0
        ? new MtlsError(
            'ERR_MTLS_SPIFFE_UNAVAILABLE',
            `The Workload API at ${this.#address.address} ended the ${STREAM} stream; reconnecting.`,
            { details: { address: this.#address.address } },
          )
        : callError(status, STREAM, this.#address.address);
    // A fresh channel next time instead of waiting out grpc-js's own reconnect backoff.
    this.#dropChannel();
    this.emit('error', error);
    this.#scheduleReconnect(this.#retry.next());
  }

  #scheduleReconnect(delay: number): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    this.#retryTimer = this.#clock.setTimeout(() => this.#connect(), delay, { unref: true });
  }

  #dropChannel(): void {
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
    this.#client?.close();
    this.#client = undefined;
  }

  #armTimers(c: SpiffeCredentials): void {
    this.#cancelStale?.();
    this.#cancelExpiry?.();
    const staleAt = computeRenewalTime(c, {
      fraction: this.#fraction,
      jitter: 0,
      clock: this.#clock,
    }).getTime();
    this.#cancelStale = runAt(this.#clock, staleAt, () => this.#onStale(c));
    this.#cancelExpiry = runAt(this.#clock, c.notAfter.getTime(), () => {
      if (this.#closed || this.#current !== c) return;
      this.emit('expired', { spiffeId: c.spiffeId, generation: c.generation, expiresAt: c.notAfter });
      this.emit(
        'error',
        new MtlsError(
          'ERR_MTLS_SPIFFE_SVID_EXPIRED',
          `The X.509-SVID "${c.spiffeId}" (generation ${c.generation}) expired at ${c.notAfter.toISOString()} and the Workload API at ${this.#address.address} sent no fresh one; check the SPIRE agent / tbot.`,
          {
            details: { spiffeId: c.spiffeId, generation: c.generation, expiresAt: c.notAfter.toISOString() },
          },
        ),
      );
    });
  }

  /** The stream sent nothing new past the renewal point: restart it (and again, with backoff, until something arrives). */
  #onStale(c: SpiffeCredentials): void {
    if (this.#closed || this.#current !== c) return;
    this.emit(
      'error',
      new MtlsError(
        'ERR_MTLS_SPIFFE_STREAM_STALE',
        `The Workload API at ${this.#address.address} sent no new X.509-SVID for "${c.spiffeId}" past its renewal point; restarting the stream.`,
        { details: { spiffeId: c.spiffeId, generation: c.generation, expiresAt: c.notAfter.toISOString() } },
      ),
    );
    if (this.#retryTimer !== undefined) {
      this.#clock.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#dropChannel();
    this.#connect();
    // Checked again later (still silent: restart again); past expiry it keeps going at the backoff's pace.
    const next = Math.max(this.#staleRetry.next(), 100);
    this.#cancelStale = runAt(this.#clock, this.#clock.now() + next, () => this.#onStale(c));
  }
}

function sameMaterial(a: SpiffeCredentials, b: SpiffeCredentials): boolean {
  return (
    a.certificateChainPem === b.certificateChainPem &&
    a.privateKeyPem === b.privateKeyPem &&
    a.trustAnchorsPem === b.trustAnchorsPem &&
    a.crlsPem === b.crlsPem &&
    a.hint === b.hint
  );
}

function asMtlsError(e: unknown): MtlsError {
  if (isMtlsError(e)) return e;
  return new MtlsError(
    'ERR_MTLS_SPIFFE_SVID_INVALID',
    'The X.509-SVID message could not be processed; the current SVID stays in service.',
    { cause: e },
  );
}

function aborted(signal: AbortSignal): MtlsError {
  return new MtlsError('ERR_MTLS_ABORTED', 'Waiting for the first X.509-SVID was aborted.', {
    cause: signal.reason,
  });
}

/**
 * Creates a {@link CredentialSource} fed by the SPIFFE Workload API `FetchX509SVID` stream
 * (a SPIRE agent, Teleport `tbot`, or any agent speaking the SPIFFE Workload API). Every
 * stream message replaces the SVID set at once; `pick` chooses the SVID to serve (default
 * the first); its bundle plus the federated bundles become `trustAnchorsPem`, CRLs go to
 * `crlsPem`, and the SPIFFE ID is on the credentials. An SVID is served only after it was
 * validated (key matches, valid now, exactly one URI SAN equal to its SPIFFE ID, chain
 * verifies under its own bundle); otherwise an `error` event and the old one keeps serving.
 * `PermissionDenied`, `Unavailable` and dropped streams are retried with backoff capped by
 * the SVID's remaining lifetime; a stream that sends nothing new past the renewal point is
 * restarted, and `expired` is emitted if the SVID runs out. Feed it to
 * `createMtlsDispatcher`, `createMtlsHttpsAgent` or `attachCredentials`.
 *
 * Events: `update` (SpiffeCredentials), `error` (MtlsError: `ERR_MTLS_SPIFFE_PERMISSION_DENIED`,
 * `ERR_MTLS_SPIFFE_UNAVAILABLE`, `ERR_MTLS_SPIFFE_STREAM_STALE`, `ERR_MTLS_SPIFFE_SVID_INVALID`,
 * `ERR_MTLS_KEY_MISMATCH`, `ERR_MTLS_CHAIN_INVALID`, …), `expired`.
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_NO_ADDRESS` / `ERR_MTLS_SPIFFE_ADDRESS_INVALID` at once.
 * @example
 * ```ts
 * import { createMtlsDispatcher } from '@mtlskit/node-adapter';
 * import { createWorkloadApiSource } from '@mtlskit/spiffe';
 * const source = createWorkloadApiSource(); // SPIFFE_ENDPOINT_SOCKET=unix:///run/spire/sockets/agent.sock
 * source.on('error', (e) => console.warn(e.code, e.message));
 * const { spiffeId } = await source.ready();
 * const dispatcher = createMtlsDispatcher(source);
 * ```
 */
export function createWorkloadApiSource(options: WorkloadApiSourceOptions = {}): WorkloadApiSource {
  return new WorkloadApiSource(options);
}
