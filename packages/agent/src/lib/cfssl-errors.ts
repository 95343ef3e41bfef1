import { MtlsError, parseRetryAfter } from '@mtlskit/core';
import type { BackendResponse } from './backend-http.js';
import type { Redactor } from './redactor.js';

/** The CFSSL endpoint an answer came from. */
export type CfsslEndpoint = 'info' | 'sign' | 'authsign';

/** What the mapping needs to know about the request, for messages that say what to do. */
export interface CfsslCallInfo {
  readonly endpoint: CfsslEndpoint;
  readonly url: URL;
  readonly profile: string | undefined;
  readonly label: string | undefined;
}

/** The first `{code, message}` of a CFSSL `errors` array, if the body is a CFSSL answer. */
export function firstCfsslError(body: unknown): { code: number | undefined; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const e = errors[0] as { code?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null) return undefined;
  return {
    code: typeof e.code === 'number' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : '',
  };
}

function profileName(call: CfsslCallInfo): string {
  return call.profile === undefined ? 'the default profile' : `profile "${call.profile}"`;
}

/**
 * Maps a CFSSL error answer (`{success: false, errors: [{code, message}]}`, or a bare HTTP
 * error) to a coded `MtlsError`. CFSSL's own codes are grouped by their thousands (1xxx
 * certificate, 2xxx private key, 3xxx intermediates, 4xxx root, 5xxx policy, 6xxx dialing,
 * 7xxx API, 8xxx OCSP, 9xxx CSR); API-level failures use the HTTP status as code and are
 * told apart by their (stable) messages.
 */
export function cfsslError(
  res: BackendResponse,
  call: CfsslCallInfo,
  redactor: Redactor,
  now: number,
): MtlsError {
  const first = firstCfsslError(res.body);
  const cfsslMessage = first === undefined ? undefined : redactor.string(first.message).slice(0, 300);
  const code = first?.code;
  const details: Record<string, unknown> = {
    status: res.status,
    endpoint: call.endpoint,
    origin: call.url.origin,
    ...(code === undefined ? {} : { cfsslCode: code }),
    ...(cfsslMessage === undefined ? {} : { cfsslMessage }),
    ...(call.profile === undefined ? {} : { profile: call.profile }),
    ...(call.label === undefined ? {} : { label: call.label }),
  };
  const said = cfsslMessage === undefined ? '' : ` (CFSSL said: "${cfsslMessage}")`;
  const path = `/api/v1/cfssl/${call.endpoint}`;
  const msg = (cfsslMessage ?? '').toLowerCase();
  const make = (c: `ERR_MTLS_${string}`, text: string): MtlsError => new MtlsError(c, text, { details });

  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], { now });
    if (retryAfterMs !== undefined) details['retryAfterMs'] = retryAfterMs;
    return make(
      'ERR_MTLS_RATE_LIMITED',
      `CFSSL at ${call.url.origin} rate-limited ${path}; the agent retries with backoff.`,
    );
  }
  if (res.status === 404 && call.endpoint === 'authsign') {
    return make(
      'ERR_MTLS_CFSSL_AUTH',
      `CFSSL at ${call.url.origin} has no ${path} endpoint (404): the server runs without auth_keys. Configure an auth key in its config (signing profile "auth_key" plus "auth_keys"), or leave authKey unset to use /api/v1/cfssl/sign.`,
    );
  }
  if (msg.includes('invalid token')) {
    return make(
      'ERR_MTLS_CFSSL_AUTH',
      `CFSSL refused the authsign token for ${profileName(call)}${said}: authKey is not the key of that profile's auth_key. Copy the hex key from the CFSSL config's auth_keys entry the profile names.`,
    );
  }
  if (msg.includes('authentication required')) {
    return make(
      'ERR_MTLS_CFSSL_AUTH',
      `CFSSL requires authentication for ${profileName(call)}${said}: set cfsslEnrollment's authKey to the hex key of the profile's auth_key, so the agent uses /api/v1/cfssl/authsign.`,
    );
  }
  if (msg.includes('no authentication provider')) {
    return make(
      'ERR_MTLS_CFSSL_PROFILE',
      `CFSSL has no authenticated signing profile named ${call.profile === undefined ? '(default)' : `"${call.profile}"`}${said}: check cfsslEnrollment's profile against the "profiles" of the CFSSL config, and that the profile has an "auth_key".`,
    );
  }
  if (/profile/.test(msg) && res.status < 500) {
    return make(
      'ERR_MTLS_CFSSL_PROFILE',
      `CFSSL refused ${profileName(call)}${said}; check cfsslEnrollment's profile against the CFSSL config.`,
    );
  }
  if (msg.includes('missing parameter') || msg.includes('unable to parse')) {
    return make(
      'ERR_MTLS_CFSSL_REJECTED',
      `CFSSL could not read the ${call.endpoint} request${said}; the server may not be CFSSL, or speaks another version of its API. Check cfsslEnrollment's url.`,
    );
  }
  if (code !== undefined && code >= 1000) {
    const family = Math.floor(code / 1000);
    if (family === 9) {
      return make(
        'ERR_MTLS_CFSSL_BAD_CSR',
        `CFSSL could not use the agent's CSR (code ${code})${said}; check that the CFSSL version supports the key algorithm (keyAlgorithm) of the agent.`,
      );
    }
    if (family === 5) {
      return make(
        'ERR_MTLS_CFSSL_POLICY',
        `CFSSL's signing policy for ${profileName(call)} refused the request (code ${code})${said}; check the profile's name_whitelist, allowed hosts and usages against the agent's serviceName and the hosts option.`,
      );
    }
    if (family === 6) {
      return make(
        'ERR_MTLS_SERVER_UNAVAILABLE',
        `CFSSL at ${call.url.origin} could not reach its remote signer (code ${code})${said}; the agent retries with backoff.`,
      );
    }
    if (family >= 1 && family <= 4) {
      return make(
        'ERR_MTLS_CFSSL_CA_ERROR',
        `CFSSL failed on its own CA material (code ${code})${said}; check the -ca / -ca-key (and bundles) that cfssl serve runs with.`,
      );
    }
  }
  if (res.status >= 500 || res.status === 408) {
    return make(
      'ERR_MTLS_SERVER_UNAVAILABLE',
      `CFSSL at ${call.url.origin} answered ${res.status} to ${path}${said}; the agent retries with backoff.`,
    );
  }
  return make(
    'ERR_MTLS_CFSSL_REJECTED',
    `CFSSL rejected ${path} with ${res.status}${code === undefined ? '' : ` (code ${code})`}${said}; check cfsslEnrollment's url, profile and label against the CFSSL config.`,
  );
}
