import { describe, expect, it } from 'vitest';
import { cfsslError, firstCfsslError } from '../../src/lib/cfssl-errors.js';
import { Redactor } from '../../src/lib/redactor.js';

// The real server's answers are covered in cfssl-enrollment.test.ts; these are the code
// families a healthy `cfssl serve` cannot be made to produce on demand (CA key errors,
// remote-signer dialing, rate limits in front of it).
const url = new URL('https://cfssl.internal:8888/api/v1/cfssl/authsign');
const call = { endpoint: 'authsign' as const, url, profile: 'client', label: undefined };

function answer(
  status: number,
  code: number | undefined,
  message: string,
  headers: Record<string, string> = {},
) {
  const errors = code === undefined ? [] : [{ code, message }];
  return { status, headers, body: { success: false, result: null, errors, messages: [] } };
}

describe('cfsslError', () => {
  it('maps CFSSL code families to stable codes', () => {
    const cases: [number, number, string, string][] = [
      [400, 1000, 'Unknown certificate error', 'ERR_MTLS_CFSSL_CA_ERROR'],
      [400, 2000, 'Unknown private key error', 'ERR_MTLS_CFSSL_CA_ERROR'],
      [400, 4003, 'root error', 'ERR_MTLS_CFSSL_CA_ERROR'],
      [400, 5500, 'Request does not match policy whitelist', 'ERR_MTLS_CFSSL_POLICY'],
      [400, 6000, 'dial failed', 'ERR_MTLS_SERVER_UNAVAILABLE'],
      [400, 9003, 'asn1: syntax error', 'ERR_MTLS_CFSSL_BAD_CSR'],
      [400, 7000, 'api error', 'ERR_MTLS_CFSSL_REJECTED'],
      [500, 400, 'internal', 'ERR_MTLS_SERVER_UNAVAILABLE'],
      [400, 400, 'invalid token', 'ERR_MTLS_CFSSL_AUTH'],
      [400, 400, 'authentication required', 'ERR_MTLS_CFSSL_AUTH'],
      [400, 400, 'no authentication provider', 'ERR_MTLS_CFSSL_PROFILE'],
      [400, 400, "missing parameter 'certificate_request'", 'ERR_MTLS_CFSSL_REJECTED'],
    ];
    for (const [status, code, message, expected] of cases) {
      const e = cfsslError(answer(status, code, message), call, new Redactor(), Date.now());
      expect(e.code, `${code} ${message}`).toBe(expected);
      expect(e.details).toMatchObject({
        status,
        cfsslCode: code,
        cfsslMessage: message,
        endpoint: 'authsign',
      });
    }
  });

  it('a 404 on /authsign means the server has no auth keys', () => {
    const e = cfsslError({ status: 404, headers: {}, body: undefined }, call, new Redactor(), Date.now());
    expect(e.code).toBe('ERR_MTLS_CFSSL_AUTH');
    expect(e.message).toContain('auth_keys');
  });

  it('keeps Retry-After of a 429 for the agent backoff', () => {
    const e = cfsslError(
      answer(429, undefined, '', { 'retry-after': '7' }),
      call,
      new Redactor(),
      Date.now(),
    );
    expect(e.code).toBe('ERR_MTLS_RATE_LIMITED');
    expect(e.details?.['retryAfterMs']).toBe(7_000);
  });

  it('redacts secrets a server might echo', () => {
    const r = new Redactor();
    const key = '00112233445566778899aabbccddeeff';
    r.add(key);
    const e = cfsslError(answer(400, 7000, `bad key ${key}`), call, r, Date.now());
    expect(JSON.stringify(e) + e.message).not.toContain(key);
  });

  it('reads only well-formed errors arrays', () => {
    expect(firstCfsslError({ errors: [{ code: 9002, message: 'CSR Decode failed' }] })).toEqual({
      code: 9002,
      message: 'CSR Decode failed',
    });
    expect(firstCfsslError({ errors: [] })).toBeUndefined();
    expect(firstCfsslError('<html>')).toBeUndefined();
    expect(firstCfsslError({ errors: [null] })).toBeUndefined();
  });
});
