import { isMtlsError, MtlsError, parseCertificates } from '@mtlskit/core';
import type { Dispatcher } from 'undici';
import {
  type BackendResponse,
  createBackendDispatcher,
  DEFAULT_MAX_RESPONSE_BYTES,
  sendBackendRequest,
} from '../lib/backend-http.js';
import { type CfsslCallInfo, type CfsslEndpoint, cfsslError } from '../lib/cfssl-errors.js';
import { authsignBody, decodeAuthKey } from '../lib/cfssl-token.js';
import { Redactor } from '../lib/redactor.js';
import type { EnrollmentContext, EnrollmentResult, EnrollmentStrategy } from './enrollment-strategy.js';

/** Options of {@link cfsslEnrollment}. */
export interface CfsslEnrollmentOptions {
  /** Base URL of `cfssl serve`, e.g. `https://cfssl.internal:8888`. Required. */
  url: string | URL;
  /**
   * PEM of the CA(s) the CFSSL server's TLS certificate chains to; the only roots trusted
   * for that connection. Required for `https:` URLs.
   */
  trustAnchors?: string;
  /**
   * Hex key of the `auth_keys` entry the signing profile names (`auth_key`). A secret. When
   * set, requests go to `/api/v1/cfssl/authsign` with CFSSL's HMAC-SHA256 token; when unset,
   * to the unauthenticated `/api/v1/cfssl/sign`. Default: unset.
   */
  authKey?: string;
  /** Signing profile of the CFSSL config. Default: CFSSL's `default` signing policy. */
  profile?: string;
  /** Signer label, for a multi-root CFSSL. Default: none. */
  label?: string;
  /**
   * SANs CFSSL writes into the certificate (its `hosts` field: DNS names, IPs, emails);
   * they replace the CSR's. Default: none (the CSR's CN, serviceName, is kept).
   */
  hosts?: readonly string[];
  /** Per-request timeout, ms. Default `30_000`. */
  requestTimeoutMs?: number;
  /** TLS connect timeout, ms. Default `10_000`. */
  connectTimeoutMs?: number;
  /**
   * Allow an `http:` url: the sign requests and certificates then travel in clear text and
   * the CA that `/info` returns cannot be trusted, so issued certificates must chain to the
   * agent's own `trustAnchors`. For local experiments only. Default `false`.
   */
  dangerouslyAllowInsecureHttp?: boolean;
}

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

function optionalName(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`cfsslEnrollment ${name} must be a non-empty string.`);
  return value;
}

function ms(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1)
    throw invalid(`cfsslEnrollment ${name} must be a number of milliseconds >= 1.`);
  return value;
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** The PEM of `result.certificate` in a successful CFSSL answer. */
function certificateOf(body: unknown, call: CfsslCallInfo): string {
  const result = (body as { result?: unknown } | undefined)?.result;
  const pem =
    typeof result === 'object' && result !== null
      ? (result as { certificate?: unknown }).certificate
      : undefined;
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new MtlsError(
      'ERR_MTLS_CFSSL_INVALID_RESPONSE',
      `The answer of /api/v1/cfssl/${call.endpoint} at ${call.url.origin} has no result.certificate; check that cfsslEnrollment's url points at cfssl serve.`,
      { details: { endpoint: call.endpoint, origin: call.url.origin, reason: 'missing-certificate' } },
    );
  }
  try {
    if (parseCertificates(pem).length === 0) throw new Error('no certificate');
  } catch (e) {
    throw new MtlsError(
      'ERR_MTLS_CFSSL_INVALID_RESPONSE',
      `The certificate in the answer of /api/v1/cfssl/${call.endpoint} at ${call.url.origin} does not parse; check the CFSSL server.`,
      { cause: e, details: { endpoint: call.endpoint, origin: call.url.origin, reason: 'bad-certificate' } },
    );
  }
  return withNewline(pem);
}

/**
 * Enrollment and renewal with a CFSSL CA (`cfssl serve`). Each attempt reads the signer's
 * CA with `POST /api/v1/cfssl/info`, then has the agent's fresh CSR signed: through
 * `/api/v1/cfssl/authsign` with an HMAC-SHA256 token when `authKey` is set (the auth key
 * is the agent's credential; no install token is needed), else through
 * `/api/v1/cfssl/sign`. A renewal signs a new key's CSR the same way. CFSSL's
 * `{success, errors}` answers become coded errors: `ERR_MTLS_CFSSL_AUTH` (wrong or missing
 * auth key), `ERR_MTLS_CFSSL_PROFILE`, `ERR_MTLS_CFSSL_POLICY` (5xxx), `ERR_MTLS_CFSSL_BAD_CSR`
 * (9xxx), `ERR_MTLS_CFSSL_CA_ERROR` (1xxx–4xxx), `ERR_MTLS_CFSSL_REJECTED`,
 * `ERR_MTLS_CFSSL_INVALID_RESPONSE`, and the agent's `ERR_MTLS_SERVER_UNAVAILABLE` /
 * `ERR_MTLS_RATE_LIMITED` / `ERR_MTLS_SERVER_NOT_TRUSTED`, which it retries (or not) as usual.
 *
 * Over `https:` the issued certificate must chain to the CA `/info` returned (it arrived
 * over the connection verified against `trustAnchors`); over `http:` to the agent's own
 * `trustAnchors`. CFSSL has no heartbeat: leave `backendUrl` out of `createAgent`, and
 * heartbeats stay off. See docs/cas/cfssl.md (CFSSL backdates and rounds `notBefore`).
 *
 * @example
 * ```ts
 * import { cfsslEnrollment, createAgent } from '@mtlskit/agent';
 * const agent = createAgent({
 *   trustAnchors: peersCaPem,
 *   serviceName: 'billing-worker',
 *   stateDir: '/var/lib/myagent',
 *   enrollment: cfsslEnrollment({
 *     url: 'https://cfssl.internal:8888',
 *     trustAnchors: cfsslTlsCaPem,
 *     authKey: process.env.CFSSL_AUTH_KEY,
 *     profile: 'client',
 *   }),
 * });
 * await agent.start();
 * ```
 */
export function cfsslEnrollment(options: CfsslEnrollmentOptions): EnrollmentStrategy {
  if (typeof options !== 'object' || options === null)
    throw invalid('cfsslEnrollment needs an options object.');
  const redactor = new Redactor();
  if (typeof options.authKey === 'string') redactor.add(options.authKey);
  let base: URL;
  try {
    base = new URL(String(options.url));
  } catch (e) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'cfsslEnrollment url must be an absolute URL such as https://cfssl.internal:8888.',
      { cause: e },
    );
  }
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  const insecure = options.dangerouslyAllowInsecureHttp === true;
  if (base.protocol !== 'https:' && !(base.protocol === 'http:' && insecure)) {
    throw new MtlsError(
      'ERR_MTLS_INSECURE_BACKEND_URL',
      `cfsslEnrollment url must use https: (got ${base.protocol}); run cfssl serve with -tls-cert/-tls-key. For a local experiment set dangerouslyAllowInsecureHttp: true.`,
    );
  }
  const tlsAnchors = options.trustAnchors;
  if (base.protocol === 'https:') {
    if (typeof tlsAnchors !== 'string' || tlsAnchors.trim() === '') {
      throw invalid(
        "cfsslEnrollment trustAnchors must be the PEM of the CA of the CFSSL server's TLS certificate.",
      );
    }
    try {
      if (parseCertificates(tlsAnchors).length === 0) throw new Error('empty');
    } catch (e) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        "cfsslEnrollment trustAnchors is not valid PEM; pass the CA certificate(s) of the CFSSL server's TLS certificate.",
        { cause: e },
      );
    }
  }
  let key: Buffer | undefined;
  if (options.authKey !== undefined) {
    if (typeof options.authKey !== 'string') throw invalid('cfsslEnrollment authKey must be a hex string.');
    key = decodeAuthKey(options.authKey);
  }
  const profile = optionalName(options.profile, 'profile');
  const label = optionalName(options.label, 'label');
  let hosts: string[] | undefined;
  if (options.hosts !== undefined) {
    if (!Array.isArray(options.hosts) || options.hosts.some((h) => typeof h !== 'string' || h === '')) {
      throw invalid(
        'cfsslEnrollment hosts must be an array of non-empty strings (DNS names, IPs or emails).',
      );
    }
    hosts = [...options.hosts];
  }
  const timeoutMs = ms(options.requestTimeoutMs, 'requestTimeoutMs', 30_000);
  const tls = {
    trustAnchorsPem: tlsAnchors ?? '',
    spkiPins: [],
    insecureHttp: insecure,
    connectTimeoutMs: ms(options.connectTimeoutMs, 'connectTimeoutMs', 10_000),
  };
  const verified = base.protocol === 'https:';

  const post = async (
    dispatcher: Dispatcher,
    endpoint: CfsslEndpoint,
    body: unknown,
    ctx: EnrollmentContext,
  ): Promise<{ res: BackendResponse; call: CfsslCallInfo }> => {
    const url = new URL(`api/v1/cfssl/${endpoint}`, base);
    const call: CfsslCallInfo = { endpoint, url, profile, label };
    let res: BackendResponse;
    try {
      res = await sendBackendRequest(
        dispatcher,
        url,
        { method: 'POST', body, signal: ctx.signal, timeoutMs, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES },
        `The CFSSL ${endpoint} call`,
        redactor,
      );
    } catch (e) {
      if (isMtlsError(e) && e.code === 'ERR_MTLS_SERVER_NOT_TRUSTED') {
        throw new MtlsError(
          e.code,
          `The CFSSL server ${url.origin} is not trusted (${String(e.details?.['tlsCode'])}); nothing was sent. Check cfsslEnrollment's url and trustAnchors (the CA of the -tls-cert cfssl serve uses).`,
          { cause: e, details: { ...e.details, endpoint } },
        );
      }
      if (isMtlsError(e) && e.code === 'ERR_MTLS_SERVER_UNAVAILABLE') {
        const transport = e.details?.['transportCode'];
        throw new MtlsError(
          e.code,
          `CFSSL at ${url.origin} did not answer ${url.pathname}${typeof transport === 'string' ? ` (${transport})` : ''}; check that cfssl serve runs there. The agent retries with backoff.`,
          { cause: e, details: { ...e.details, endpoint } },
        );
      }
      throw e;
    }
    const success = (res.body as { success?: unknown } | undefined)?.success;
    if (res.status < 200 || res.status > 299 || success === false) {
      throw cfsslError(res, call, redactor, ctx.clock.now());
    }
    if (success !== true) {
      throw new MtlsError(
        'ERR_MTLS_CFSSL_INVALID_RESPONSE',
        `${url.origin}${url.pathname} did not answer like CFSSL (no "success" field in a ${res.status} answer); check cfsslEnrollment's url.`,
        { details: { endpoint, origin: url.origin, status: res.status, reason: 'not-cfssl' } },
      );
    }
    return { res, call };
  };

  const sign = async (ctx: EnrollmentContext): Promise<EnrollmentResult> => {
    if (options.authKey !== undefined) ctx.addSecret(options.authKey);
    // A dispatcher per attempt: attempts are minutes or hours apart, and no socket (or TLS
    // session to a since-restarted CFSSL) is kept between them.
    const dispatcher = createBackendDispatcher(tls);
    try {
      // CFSSL answers 400 to an empty /info body, so always send an object.
      const info = await post(
        dispatcher,
        'info',
        { ...(label === undefined ? {} : { label }), ...(profile === undefined ? {} : { profile }) },
        ctx,
      );
      const caPem = certificateOf(info.res.body, info.call);
      const signRequest = JSON.stringify({
        certificate_request: ctx.csrPem,
        ...(profile === undefined ? {} : { profile }),
        ...(label === undefined ? {} : { label }),
        ...(hosts === undefined ? {} : { hosts }),
      });
      let answer: { res: BackendResponse; call: CfsslCallInfo };
      if (key !== undefined) {
        const body = authsignBody(key, signRequest);
        ctx.addSecret(body.token);
        answer = await post(dispatcher, 'authsign', body, ctx);
      } else {
        answer = await post(dispatcher, 'sign', JSON.parse(signRequest), ctx);
      }
      const leaf = certificateOf(answer.res.body, answer.call);
      // CFSSL returns the leaf alone: a signer that is an intermediate must travel with it.
      const signer = parseCertificates(caPem)[0];
      const chain = signer !== undefined && !signer.selfIssued ? leaf + caPem : leaf;
      return {
        certificateChainPem: chain,
        // Only a CA read over the verified connection may vouch for the certificate.
        issuerAnchorsPem: verified ? caPem : undefined,
      };
    } finally {
      void dispatcher.close().catch(() => undefined);
    }
  };

  return {
    name: `cfssl:${profile ?? 'default'}`,
    backendUrl: base,
    needsInstallToken: false,
    enroll: sign,
    renew: sign,
  };
}
