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
  /** RFC 5280 §6.1 policy processing failed: no acceptable certificate policy where one is required, or a policy mapping of anyPolicy. */
  | 'CERTIFICATE_POLICY';

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
      /**
       * Set when only a rule of the `'webpki'` profile refused the chain (e.g. `'CA/B BR 7.1.2.7.8'`):
       * Node's own TLS stack (OpenSSL) would accept it, and `profile: 'rfc5280'` would too.
       */
      profileRule?: string;
    };

/** What the leaf is checked for. */
export type ChainPurpose = 'clientAuth' | 'serverAuth' | 'any';

/**
 * Which rules a chain is held to. `'rfc5280'`: the RFC 5280 profile and path validation
 * (RFC 5280 §4, §6). `'webpki'`: that plus the CA/Browser Forum Baseline Requirements for
 * TLS server certificates that browsers, Go and rustls-webpki enforce (for example: no CA
 * certificate as leaf, a subjectAltName in every leaf, no anyExtendedKeyUsage in a leaf, a
 * CN copied from a SAN).
 */
export type ChainProfile = 'webpki' | 'rfc5280';
