import { createSecureContext } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import {
  type CertificateInfo,
  type Clock,
  type ClockTimer,
  type CredentialSource,
  type Credentials,
  isMtlsError,
  MAX_TIMER_DELAY,
  MtlsError,
  parseCertificates,
  systemClock,
} from '@mtlskit/core';
import { EventEmitter } from 'eventemitter3';
import { cutMarginMs } from '../lib/retirement-margins.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** One generation that passed the checks, in the form grpc-js wants. */
export interface AcceptedCredentials {
  readonly credentials: Credentials;
  readonly leaf: CertificateInfo;
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly caCertificate: Buffer;
}

/** Events of a {@link SourceCertificateProvider}. */
export interface ProviderEvents {
  update: (c: Credentials) => void;
  error: (e: MtlsError) => void;
  /** Internal: the identity in service expired without a successor and was withdrawn. */
  withdraw: () => void;
}

/** Options of {@link SourceCertificateProvider}. */
export interface ProviderOptions {
  /**
   * `async` delivers even the first update to a new listener on a later turn: grpc-js servers
   * register their context watcher only after `addIdentityCertificateListener` returned, so a
   * synchronous first update would be lost and the server would refuse every connection.
   */
  readonly deliverOnAdd: 'sync' | 'async';
  readonly clock?: Clock | undefined;
}

function refuse(
  code: `ERR_MTLS_${string}`,
  message: string,
  cause?: unknown,
  details?: Record<string, unknown>,
) {
  return new MtlsError(code, message, { cause, details });
}

/**
 * Checks one generation the way the TLS stack will use it: Node builds the secure context
 * (the same call that fails with "key values mismatch" inside grpc-js), and the leaf must be
 * valid now. A source that already validates (MutableCredentialSource, the agent) passes
 * trivially; a source that does not can no longer take a server down.
 */
export function acceptCredentials(c: Credentials, now: number): AcceptedCredentials {
  let leaf: CertificateInfo | undefined;
  try {
    leaf = parseCertificates(c.certificateChainPem)[0];
    parseCertificates(c.trustAnchorsPem);
  } catch (e) {
    throw refuse(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      `The update carries a certificate chain or trust bundle that cannot be read (${isMtlsError(e) ? e.message : 'unreadable'}); the current identity stays in service.`,
      e,
    );
  }
  if (leaf === undefined) {
    throw refuse(
      'ERR_MTLS_CREDENTIALS_MALFORMED',
      'The update has no certificate; the current identity stays in service.',
    );
  }
  if (leaf.notAfter.getTime() <= now) {
    throw refuse(
      'ERR_MTLS_CERT_EXPIRED',
      `Refused the update: the certificate "${leaf.subject}" expired at ${leaf.notAfter.toISOString()}; the current identity stays in service. Issue a new certificate.`,
      undefined,
      { notAfter: leaf.notAfter.toISOString(), fingerprintSha256: leaf.fingerprintSha256 },
    );
  }
  if (leaf.notBefore.getTime() > now) {
    throw refuse(
      'ERR_MTLS_CERT_NOT_YET_VALID',
      `Refused the update: the certificate "${leaf.subject}" is not valid before ${leaf.notBefore.toISOString()}; the current identity stays in service. Check the clocks.`,
      undefined,
      { notBefore: leaf.notBefore.toISOString(), fingerprintSha256: leaf.fingerprintSha256 },
    );
  }
  const certificate = Buffer.from(c.certificateChainPem);
  const privateKey = Buffer.from(c.privateKeyPem);
  const caCertificate = Buffer.from(c.trustAnchorsPem);
  try {
    createSecureContext({ cert: certificate, key: privateKey, ca: caCertificate });
  } catch (e) {
    const mismatch = /key values mismatch|KEY_VALUES_MISMATCH/i.test(String((e as Error)?.message));
    throw mismatch
      ? refuse(
          'ERR_MTLS_KEY_MISMATCH',
          `Refused the update: the private key does not belong to the certificate "${leaf.subject}" (${leaf.fingerprintSha256}); the current identity stays in service. Deploy the key the certificate was issued for.`,
          e,
          { fingerprintSha256: leaf.fingerprintSha256 },
        )
      : refuse(
          'ERR_MTLS_CREDENTIALS_MALFORMED',
          `Refused the update: Node cannot load the certificate "${leaf.subject}" with its key; the current identity stays in service. Check that the key is an unencrypted PEM.`,
          e,
          { fingerprintSha256: leaf.fingerprintSha256 },
        );
  }
  return { credentials: c, leaf, certificate, privateKey, caCertificate };
}

/**
 * A grpc-js `CertificateProvider` fed by a {@link CredentialSource}. It keeps the last
 * generation that passed {@link acceptCredentials} and hands it to grpc-js as both the
 * identity and the trust-anchor update, so a pair never arrives half-swapped.
 */
export class SourceCertificateProvider
  extends EventEmitter<ProviderEvents>
  implements grpc.experimental.CertificateProvider
{
  readonly #source: CredentialSource;
  readonly #options: ProviderOptions;
  readonly #clock: Clock;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();
  #accepted: AcceptedCredentials | undefined;
  #expiryTimer: ClockTimer | undefined;
  #closed = false;
  readonly #onUpdate = (c: Credentials) => this.#offer(c);
  readonly #onError = (e: MtlsError) => this.emit('error', e);

  constructor(source: CredentialSource, options: ProviderOptions) {
    super();
    this.#source = source;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    source.on('update', this.#onUpdate);
    source.on('error', this.#onError);
    let first: Credentials | undefined;
    try {
      first = source.current();
    } catch {
      // Not ready yet: the first `update` event brings the identity.
    }
    if (first !== undefined) this.#offer(first, false);
  }

  /** The generation in service, if any. */
  get accepted(): AcceptedCredentials | undefined {
    return this.#accepted;
  }

  /** Stops following the source. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.off('update', this.#onUpdate);
    this.#source.off('error', this.#onError);
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
  }

  #offer(c: Credentials, notify = true): void {
    if (this.#closed) return;
    if (this.#accepted !== undefined && c.generation <= this.#accepted.credentials.generation) return;
    let accepted: AcceptedCredentials;
    try {
      accepted = acceptCredentials(c, this.#clock.now());
    } catch (e) {
      this.emit('error', e as MtlsError);
      return;
    }
    this.#accepted = accepted;
    this.#scheduleWithdrawal(accepted);
    if (notify) {
      for (const l of this.#caListeners) l({ caCertificate: accepted.caCertificate });
      for (const l of this.#identityListeners) {
        l({ certificate: accepted.certificate, privateKey: accepted.privateKey });
      }
    }
    this.emit('update', c);
  }

  /**
   * An identity that expires without a successor is withdrawn just before its `notAfter`
   * (grpc-js then refuses new connections instead of presenting a dead certificate; peers
   * would reject it anyway), and `error` says so.
   */
  #scheduleWithdrawal(accepted: AcceptedCredentials): void {
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    const { notBefore, notAfter } = accepted.leaf;
    const at =
      notAfter.getTime() -
      cutMarginMs(notAfter.getTime() - notBefore.getTime(), notAfter.getTime() - this.#clock.now());
    const check = () => {
      this.#expiryTimer = undefined;
      if (this.#closed || this.#accepted !== accepted) return;
      const delay = at - this.#clock.now();
      if (delay > 0) {
        this.#expiryTimer = this.#clock.setTimeout(check, Math.min(delay, MAX_TIMER_DELAY), { unref: true });
        return;
      }
      this.#accepted = undefined;
      for (const l of this.#caListeners) l(null);
      for (const l of this.#identityListeners) l(null);
      this.emit('withdraw');
      this.emit(
        'error',
        new MtlsError(
          'ERR_MTLS_CERT_EXPIRED',
          `The identity in service ("${accepted.leaf.subject}", generation ${accepted.credentials.generation}) expires at ${notAfter.toISOString()} and no valid successor arrived: new gRPC connections are refused until the source delivers one. Check the renewal (agent, file source) logs.`,
          { details: { notAfter: notAfter.toISOString(), generation: accepted.credentials.generation } },
        ),
      );
    };
    check();
  }

  #deliver(run: () => void): void {
    if (this.#options.deliverOnAdd === 'sync') run();
    else setImmediate(run);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    this.#deliver(() => {
      const a = this.#accepted;
      if (a !== undefined && this.#caListeners.has(listener)) listener({ caCertificate: a.caCertificate });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    this.#deliver(() => {
      const a = this.#accepted;
      if (a !== undefined && this.#identityListeners.has(listener)) {
        listener({ certificate: a.certificate, privateKey: a.privateKey });
      }
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }
}
