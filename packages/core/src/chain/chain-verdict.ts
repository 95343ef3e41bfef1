import type { CertificateInfo } from '../cert/parse-certificate.js';

/**
 * Why a chain failed. Codes are stable: they are extended, never renamed.
 * `ISSUER_KEY_MISMATCH` is the "CA was regenerated under the same name" case.
 */
export type ChainErrorCode =
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'UNKNOWN_ISSUER'
  | 'ISSUER_KEY_MISMATCH'
  | 'MISSING_INTERMEDIATE'
  | 'BAD_SIGNATURE'
  | 'NOT_A_CA'
  | 'PATH_LENGTH_EXCEEDED'
  | 'KEY_USAGE'
  | 'EXTENDED_KEY_USAGE'
  | 'NAME_MISMATCH'
  | 'NAME_CONSTRAINTS'
  | 'UNHANDLED_CRITICAL_EXTENSION'
  | 'MALFORMED'
  | 'DEPTH_EXCEEDED'
  | 'REVOKED'
  | 'WORK_LIMIT'
  | 'UNSUPPORTED_ALGORITHM'
  /** A certificate breaks a MUST of the RFC 5280 / CA/B profile (e.g. critical SKI, missing AKI, empty issuer). */
  | 'PROFILE_VIOLATION'
  /** CRLs were given but the one covering a certificate is unusable (bad extension, stale, wrong issuer usage). */
  | 'CRL_INVALID'
  /** A policyConstraints extension requires an explicit certificate policy, which mtlskit does not process yet: refused. */
  | 'POLICY_CONSTRAINTS';

/** The result of {@link verifyChain}: never a bare boolean. */
export type ChainVerdict =
  | { ok: true; chain: CertificateInfo[] }
  | {
      ok: false;
      code: ChainErrorCode;
      /** Plain words: what is wrong and what to do. */
      message: string;
      /** Position in the best path found (0 = leaf). */
      depth?: number;
      certificate?: CertificateInfo;
      /** For MISSING_INTERMEDIATE / UNKNOWN_ISSUER: the issuer name that could not be found. */
      missingIssuer?: string;
    };

/** What the leaf is checked for. */
export type ChainPurpose = 'clientAuth' | 'serverAuth' | 'any';
