import { constants, type ServerHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { type Clock, type ClockTimer, MAX_TIMER_DELAY, parseCertificate } from '@mtlskit/core';
import { cutMarginMs, drainMarginMs } from '../lib/retirement-margins.js';
import type { AcceptedCredentials } from '../provider/source-certificate-provider.js';

/** What the retirer knows of one HTTP/2 connection. */
interface Tracked {
  /** DER of the certificate this server presented on the connection. */
  readonly localDer: Buffer | undefined;
  /** When the first call arrived (about when the connection opened). */
  readonly trackedAt: number;
  timers: ClockTimer[];
  rotationDrainScheduled: boolean;
}

/**
 * A connection is drained for a rotation only once it is this old. A call that raced a
 * GOAWAY is refused and grpc-js retries it once, transparently, on the next connection; if
 * that one were drained at once too, the retry would be refused again and the call would fail.
 */
const MIN_AGE_BEFORE_ROTATION_DRAIN_MS = 500;

/** Options of {@link SessionRetirer}. */
export interface SessionRetirerOptions {
  readonly clock: Clock;
  /** Returns the generation in service, to tell connections made with an older one. */
  readonly current: () => AcceptedCredentials | undefined;
}

const GOAWAY_DATA = Buffer.from('mtlskit: identity rotated');
const draining = new WeakSet<ServerHttp2Session>();

/**
 * Graceful shutdown of one connection, the way grpc-js does it for
 * `grpc.max_connection_age_ms`: a GOAWAY with the highest stream id (the client stops
 * opening streams), then `close()`, which announces the last stream the server took and
 * lets open streams finish. The client's channel goes IDLE and opens its next connection
 * with the identities now in service; a call that raced the GOAWAY is refused before the
 * application saw it, and grpc-js retries it transparently.
 *
 * (A PING round trip between the two frames, as RFC 9113 §6.8 suggests, held such racing
 * calls for up to the whole wait in tests with Node 20, so it is not used.)
 */
export function drainSession(session: ServerHttp2Session): void {
  if (session.closed || session.destroyed || draining.has(session)) return;
  draining.add(session);
  try {
    session.goaway(constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1, GOAWAY_DATA);
  } catch {
    session.destroy();
    return;
  }
  session.close();
}

/**
 * Moves server-side connections to the identity in service: a connection made with an older
 * server certificate is drained when a new generation arrives, and every connection is
 * drained before the earlier `notAfter` of the two certificates on it, and cut just before it.
 */
export class SessionRetirer {
  readonly #options: SessionRetirerOptions;
  readonly #sessions = new Map<ServerHttp2Session, Tracked>();
  #closed = false;

  constructor(options: SessionRetirerOptions) {
    this.#options = options;
  }

  /** Number of connections being watched. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Starts watching `session` (idempotent); drains it at once when it already is stale. */
  track(session: ServerHttp2Session): void {
    if (this.#closed || this.#sessions.has(session) || session.closed || session.destroyed) return;
    const socket = session.socket as TLSSocket;
    const local = socket.getX509Certificate?.();
    const peer = socket.getPeerX509Certificate?.();
    const tracked: Tracked = {
      localDer: local?.raw,
      trackedAt: this.#options.clock.now(),
      timers: [],
      rotationDrainScheduled: false,
    };
    this.#sessions.set(session, tracked);
    session.once('close', () => this.#forget(session));
    const validity = [local, peer].filter((c) => c !== undefined).map((c) => this.#validityOf(c.raw));
    if (validity.length > 0) {
      const first = validity.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
      const lifetime = first.notAfter - first.notBefore;
      const remaining = first.notAfter - tracked.trackedAt;
      this.#at(tracked, first.notAfter - drainMarginMs(lifetime, remaining), () => drainSession(session));
      this.#at(tracked, first.notAfter - cutMarginMs(lifetime, remaining), () => session.destroy());
    }
    if (this.#isStale(tracked)) this.#drainForRotation(session, tracked);
  }

  /** Drains every connection made with a server certificate other than the one in service. */
  retireStale(): void {
    for (const [session, tracked] of this.#sessions) {
      if (this.#isStale(tracked)) this.#drainForRotation(session, tracked);
    }
  }

  #drainForRotation(session: ServerHttp2Session, tracked: Tracked): void {
    if (tracked.rotationDrainScheduled) return;
    tracked.rotationDrainScheduled = true;
    this.#at(tracked, tracked.trackedAt + MIN_AGE_BEFORE_ROTATION_DRAIN_MS, () => drainSession(session));
  }

  /** Stops all timers (the connections stay as they are). */
  close(): void {
    this.#closed = true;
    for (const session of [...this.#sessions.keys()]) this.#forget(session);
  }

  #isStale(tracked: Tracked): boolean {
    const current = this.#options.current();
    if (tracked.localDer === undefined) return false;
    // No identity in service (withdrawn at expiry): every connection is stale.
    return current === undefined || !tracked.localDer.equals(current.leaf.der);
  }

  #validityOf(der: Buffer): { notBefore: number; notAfter: number } {
    const current = this.#options.current();
    const info =
      current !== undefined && der.equals(current.leaf.der)
        ? current.leaf
        : parseCertificate(new Uint8Array(der));
    return { notBefore: info.notBefore.getTime(), notAfter: info.notAfter.getTime() };
  }

  /** Runs `fn` at wall-clock instant `at`, chaining timers past Node's 2^31−1 ms limit. */
  #at(tracked: Tracked, at: number, fn: () => void): void {
    const { clock } = this.#options;
    const delay = at - clock.now();
    if (delay <= 0) {
      fn();
      return;
    }
    const timer = clock.setTimeout(
      () => {
        tracked.timers = tracked.timers.filter((t) => t !== timer);
        // Re-check against the wall clock: timers run on monotonic time.
        this.#at(tracked, at, fn);
      },
      Math.min(delay, MAX_TIMER_DELAY),
      { unref: true },
    );
    tracked.timers.push(timer);
  }

  #forget(session: ServerHttp2Session): void {
    const tracked = this.#sessions.get(session);
    if (tracked === undefined) return;
    for (const t of tracked.timers) this.#options.clock.clearTimeout(t);
    this.#sessions.delete(session);
  }
}
