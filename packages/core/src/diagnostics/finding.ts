/**
 * Stable codes of {@link Finding}s. Codes are only ever added, never renamed; `docs/cli.md`
 * explains each one.
 */
export type FindingCode =
  | 'OK'
  | 'KEY_MISMATCH'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'EXPIRING_SOON'
  | 'UNTRUSTED_BY_PEER'
  | 'CA_REGENERATED'
  | 'MISSING_INTERMEDIATE'
  | 'UNKNOWN_ISSUER'
  | 'ISSUER_NOT_FOUND'
  | 'CHAIN_INVALID'
  | 'WRONG_EKU'
  | 'COMMON_NAME_MISMATCH'
  | 'HOSTNAME_MISMATCH'
  | 'CHAIN_OUT_OF_ORDER'
  | 'CHAIN_CONTAINS_ROOT'
  | 'SELF_SIGNED_LEAF'
  | 'WEAK_KEY'
  | 'SHA1_SIGNATURE'
  // Findings of a live handshake (`mtlskit doctor --connect`).
  | 'CONNECT_FAILED'
  | 'SERVER_UNTRUSTED'
  | 'SERVER_NAME_MISMATCH'
  | 'CLIENT_CERT_REJECTED'
  | 'HANDSHAKE_OK';

/** How bad a finding is: `error` breaks handshakes, `warning` may, `info` is a fact. */
export type FindingSeverity = 'error' | 'warning' | 'info';

/**
 * One thing {@link diagnose} found, in plain words: `message` names subjects, fingerprints
 * and dates; `fix` says what to do (which command, which file).
 *
 * @example
 * ```ts
 * const findings = await diagnose({ certificate: certPem, privateKey: keyPem, trustAnchors: caPem });
 * for (const f of findings) console.log(`${f.severity} ${f.code}: ${f.message}\n  fix: ${f.fix}`);
 * ```
 */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: FindingSeverity;
  readonly message: string;
  readonly fix: string;
}
