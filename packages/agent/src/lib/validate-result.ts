import { type Clock, isMtlsError, MtlsError, parseCertificates, validateCredentials } from '@mtlskit/core';

export interface ValidatedIdentity {
  certificateChainPem: string;
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
}

const REASONS: Record<string, string> = {
  ERR_MTLS_KEY_MISMATCH: 'key-mismatch',
  ERR_MTLS_CHAIN_INVALID: 'untrusted-chain',
  ERR_MTLS_CERT_EXPIRED: 'expired',
  ERR_MTLS_CREDENTIALS_MALFORMED: 'malformed',
  ERR_MTLS_CREDENTIALS_MISSING: 'malformed',
};

const MESSAGES: Record<string, string> = {
  'key-mismatch': "the certificate is not for the agent's key",
  'untrusted-chain': 'the certificate does not chain to the pinned CA',
  expired: 'the certificate is already expired (or the clocks differ a lot)',
  malformed: 'the certificate or key is not valid PEM',
};

/**
 * Checks a backend's answer before it may replace anything: the key matches the leaf, the
 * chain verifies against `issuerAnchorsPem` and the certificate is valid now. A `notBefore`
 * slightly in the future (within `maxSkewMs`) is accepted — backends with a clock a little
 * ahead are common — while a larger gap is reported as clock skew.
 */
export async function validateResult(
  input: { certificateChainPem: string; privateKeyPem: string; issuerAnchorsPem: string },
  clock: Clock,
  maxSkewMs: number,
  call: string,
): Promise<ValidatedIdentity> {
  const now = clock.now();
  let leafNotBefore: number | undefined;
  try {
    leafNotBefore = parseCertificates(input.certificateChainPem)[0]?.notBefore.getTime();
  } catch {
    leafNotBefore = undefined;
  }
  if (leafNotBefore !== undefined && leafNotBefore > now + maxSkewMs) {
    throw new MtlsError(
      'ERR_MTLS_CLOCK_SKEW',
      `The ${call} answer's certificate starts at ${new Date(leafNotBefore).toISOString()}, ${Math.round((leafNotBefore - now) / 1000)} s ahead of this machine's clock; synchronise the clocks (NTP) of this host and the backend.`,
      { details: { notBefore: new Date(leafNotBefore).toISOString(), now: new Date(now).toISOString() } },
    );
  }
  const at = leafNotBefore !== undefined && leafNotBefore > now ? leafNotBefore : now;
  try {
    const v = await validateCredentials(
      {
        certificateChainPem: input.certificateChainPem,
        privateKeyPem: input.privateKeyPem,
        trustAnchorsPem: input.issuerAnchorsPem,
      },
      // Usage (EKU, key usage, CA:TRUE) is checked right after by checkClientCertificate,
      // which names the exact reason; here only key match, chain and validity.
      { clock: { now: () => at }, purpose: 'any' },
    );
    return {
      certificateChainPem: v.certificateChainPem,
      privateKeyPem: input.privateKeyPem,
      notBefore: v.notBefore,
      notAfter: v.notAfter,
    };
  } catch (e) {
    const code = isMtlsError(e) ? e.code : 'unknown';
    const reason = REASONS[code] ?? 'malformed';
    const chainCode = isMtlsError(e) ? e.details?.['chainCode'] : undefined;
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The backend's ${call} answer was refused: ${MESSAGES[reason]}${chainCode === undefined ? '' : ` (${String(chainCode)})`}. The current identity stays in use; check the backend's CA and configuration.`,
      { cause: e, details: { reason, call, ...(chainCode === undefined ? {} : { chainCode }) } },
    );
  }
}
