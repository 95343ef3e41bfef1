import { isMtlsError, MtlsError, parseCertificates, systemClock } from '@mtlskit/core';
import { installTokenEnrollment } from '../enrollment/install-token-enrollment.js';
import { createLog } from '../lib/agent-logger.js';
import { DEFAULT_MAX_RESPONSE_BYTES, normalizePin } from '../lib/backend-http.js';
import { Redactor } from '../lib/redactor.js';
import { FileStore } from '../store/file-store.js';
import type { CreateAgentOptions } from './agent-types.js';
import { MtlsAgent } from './mtls-agent.js';
import type { ResolvedAgentConfig } from './resolved-config.js';

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

function duration(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(`${name} must be a number of milliseconds >= ${min}, got ${String(value)}.`);
  }
  return value;
}

function share(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw invalid(`${name} must be in [0, 1], got ${String(value)}.`);
  return value;
}

/**
 * Creates an mTLS agent: it registers once with an install token (or another
 * {@link EnrollmentStrategy}), keeps its identity in a store, renews it before expiry with
 * backoff, heartbeats over mTLS, and is a `CredentialSource` for `createMtlsDispatcher` /
 * `attachCredentials`. Nothing happens until {@link MtlsAgent.start}.
 *
 * Options are validated at once (`ERR_MTLS_INVALID_ARGUMENT`); an `http:` backendUrl is
 * refused with `ERR_MTLS_INSECURE_BACKEND_URL` unless `dangerouslyAllowInsecureHttp` is set.
 * See docs/agent.md for every option and its default.
 *
 * @example
 * ```ts
 * import { createAgent } from '@mtlskit/agent';
 * const agent = createAgent({
 *   backendUrl: 'https://backend.internal:8443',
 *   trustAnchors: fs.readFileSync('/etc/myagent/backend-ca.pem', 'utf8'),
 *   installTokenFile: '/etc/myagent/install-token',
 *   serviceName: 'billing-worker',
 *   stateDir: '/var/lib/myagent',
 *   logger: console,
 * });
 * agent.on('renewal-failed', (e) => console.warn(e.cause.code, 'retry at', e.nextRetryAt));
 * await agent.start();
 * const res = await agent.fetch('https://api.internal/ping');
 * ```
 */
export function createAgent(options: CreateAgentOptions): MtlsAgent {
  if (typeof options !== 'object' || options === null) throw invalid('createAgent needs an options object.');
  const redactor = new Redactor();
  // Registered first, so that even an error about another option cannot carry it.
  if (typeof options.installToken === 'string') redactor.add(options.installToken);

  const strategy = options.enrollment ?? installTokenEnrollment();
  const ownServer = strategy.backendUrl;
  if (options.backendUrl === undefined && ownServer === undefined) {
    throw invalid('backendUrl is required (the https URL of the enrollment backend).');
  }
  let backendUrl: URL;
  try {
    // A strategy's own server was checked by the strategy, with its own TLS settings.
    backendUrl = new URL(String(options.backendUrl ?? ownServer));
  } catch (e) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'backendUrl must be an absolute URL such as https://backend.internal:8443.',
      {
        cause: e,
      },
    );
  }
  const insecure = options.dangerouslyAllowInsecureHttp === true;
  if (
    options.backendUrl !== undefined &&
    backendUrl.protocol !== 'https:' &&
    !(backendUrl.protocol === 'http:' && insecure)
  ) {
    throw new MtlsError(
      'ERR_MTLS_INSECURE_BACKEND_URL',
      `backendUrl must use https: (got ${backendUrl.protocol}); the install token must only travel to a verified server. For a local experiment set dangerouslyAllowInsecureHttp: true.`,
    );
  }
  if (typeof options.trustAnchors !== 'string' || options.trustAnchors.trim() === '') {
    throw invalid("trustAnchors must be the PEM of the backend's CA.");
  }
  try {
    if (parseCertificates(options.trustAnchors).length === 0)
      throw invalid('trustAnchors holds no certificate.');
  } catch (e) {
    if (isMtlsError(e) && e.code === 'ERR_MTLS_INVALID_ARGUMENT') throw e;
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      "trustAnchors is not valid PEM; pass the backend CA's certificate(s).",
      {
        cause: e,
      },
    );
  }
  if (typeof options.serviceName !== 'string' || options.serviceName.trim() === '') {
    throw invalid('serviceName is required (the service_name of the register call).');
  }
  const serviceType = options.serviceType ?? 'agent';
  if (serviceType !== 'agent' && serviceType !== 'controller') {
    throw invalid(`serviceType must be 'agent' or 'controller', got ${String(serviceType)}.`);
  }
  if (options.installToken !== undefined && options.installTokenFile !== undefined) {
    throw invalid('Pass installToken or installTokenFile, not both.');
  }
  if (
    options.installToken !== undefined &&
    (typeof options.installToken !== 'string' || options.installToken.trim() === '')
  ) {
    throw invalid('installToken must be a non-empty string.');
  }
  if ((options.store === undefined) === (options.stateDir === undefined)) {
    throw invalid('Pass exactly one of store or stateDir, so the identity survives restarts.');
  }
  const pins =
    options.spkiPin === undefined
      ? []
      : (typeof options.spkiPin === 'string' ? [options.spkiPin] : [...options.spkiPin]).map(normalizePin);
  const r = options.renewal ?? {};
  const hb = options.heartbeat ?? {};
  const random = r.random ?? Math.random;
  if (typeof random !== 'function') throw invalid('renewal.random must be a function.');
  const fraction = share('renewal.fraction', r.fraction, 2 / 3);
  if (fraction === 0) throw invalid('renewal.fraction must be > 0.');
  // Without a backend of its own there is nowhere to send heartbeats.
  const heartbeatEnabled = hb.enabled ?? options.backendUrl !== undefined;
  if (heartbeatEnabled && options.backendUrl === undefined) {
    throw invalid(
      `heartbeat.enabled needs a backendUrl: strategy "${strategy.name}" has no heartbeat endpoint. Pass the backendUrl of a server that takes heartbeats, or leave heartbeats off.`,
    );
  }
  const logger = createLog(options.logger, redactor);
  if (insecure && options.backendUrl !== undefined && backendUrl.protocol === 'http:') {
    logger(
      'warn',
      `INSECURE: backendUrl ${backendUrl.origin} is plain http; the install token and identities travel in clear text`,
    );
  }
  if (options.keepProcessAlive !== undefined && typeof options.keepProcessAlive !== 'boolean')
    throw invalid('keepProcessAlive must be a boolean.');
  const storeWarnings: ResolvedAgentConfig['storeWarnings'] = { sink: undefined };
  const config: ResolvedAgentConfig = {
    backendUrl,
    trustAnchorsPem: options.trustAnchors,
    tls: {
      trustAnchorsPem: options.trustAnchors,
      spkiPins: pins,
      insecureHttp: insecure,
      connectTimeoutMs: duration('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1),
    },
    installToken: options.installToken?.trim(),
    installTokenFile: options.installTokenFile,
    serviceName: options.serviceName,
    serviceType,
    controllerName: options.controllerName,
    metadata: { ...(options.metadata ?? {}) },
    store: options.store ?? new FileStore(options.stateDir!, { onWarning: (w) => storeWarnings.sink?.(w) }),
    storeWarnings,
    stateDir: options.store === undefined ? options.stateDir : undefined,
    strategy,
    keyAlgorithm: options.keyAlgorithm ?? 'ECDSA-P256',
    renewal: {
      fraction,
      jitter: share('renewal.jitter', r.jitter, 0.1),
      initialDelayMs: duration('renewal.initialDelayMs', r.initialDelayMs, 1000),
      maxDelayMs: duration('renewal.maxDelayMs', r.maxDelayMs, 300_000),
      remainingFraction: share('renewal.remainingFraction', r.remainingFraction, 0.1),
      expiringFraction: share('renewal.expiringFraction', r.expiringFraction, 0.2),
      reenrollOnExpiry: r.reenrollOnExpiry ?? true,
      random,
    },
    heartbeat: {
      enabled: heartbeatEnabled,
      intervalMs: duration('heartbeat.intervalMs', hb.intervalMs, 60_000, 1),
      jitter: share('heartbeat.jitter', hb.jitter, 0.1),
      path: hb.path ?? '/api/v1/agent/heartbeat',
      diskPath: hb.diskPath ?? options.stateDir ?? '/',
      ...(hb.metrics === undefined ? {} : { metrics: hb.metrics }),
      ...(hb.status === undefined ? {} : { status: hb.status }),
    },
    clock: options.clock ?? systemClock,
    log: logger,
    redactor,
    requestTimeoutMs: duration('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1),
    maxResponseBytes: duration(
      'maxResponseBytes',
      options.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_BYTES,
      1024,
    ),
    keepProcessAlive: options.keepProcessAlive ?? true,
    allowExpiredCredentials: options.allowExpiredCredentials === true,
    maxClockSkewMs: duration('maxClockSkewMs', options.maxClockSkewMs, 300_000),
    wallClockCheckMs: duration('wallClockCheckMs', options.wallClockCheckMs, 300_000, 1),
  };
  if (config.renewal.remainingFraction === 0) throw invalid('renewal.remainingFraction must be > 0.');
  return new MtlsAgent(config);
}
