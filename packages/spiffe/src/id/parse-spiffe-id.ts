import { MtlsError } from '@mtlskit/core';

/** A SPIFFE ID split into its parts. */
export interface SpiffeId {
  /** The whole ID, e.g. `spiffe://example.org/ns/prod/sa/billing`. */
  readonly id: string;
  /** The trust domain name, e.g. `example.org`. */
  readonly trustDomain: string;
  /** The path, e.g. `/ns/prod/sa/billing`, or `''` for the trust domain itself. */
  readonly path: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_LENGTH = 2048;

function invalid(id: string, why: string): MtlsError {
  return new MtlsError('ERR_MTLS_SPIFFE_ID_INVALID', `"${id}" is not a SPIFFE ID: ${why}.`, {
    details: { id },
  });
}

/**
 * Parses a SPIFFE ID as the SPIFFE-ID specification defines it: scheme `spiffe`, a
 * lower-case trust domain of `[a-z0-9._-]`, path segments of `[A-Za-z0-9._-]` (no empty,
 * `.` or `..` segment, no trailing slash), no port, user info, query or fragment.
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_ID_INVALID` saying which rule failed.
 * @example
 * ```ts
 * import { parseSpiffeId } from '@mtlskit/spiffe';
 * parseSpiffeId('spiffe://example.org/ns/prod/sa/billing').trustDomain; // 'example.org'
 * ```
 */
export function parseSpiffeId(id: string): SpiffeId {
  if (typeof id !== 'string') throw invalid(String(id), 'it must be a string');
  if (id.length > MAX_LENGTH) throw invalid(id.slice(0, 64), `it is longer than ${MAX_LENGTH} bytes`);
  if (!id.startsWith('spiffe://')) throw invalid(id, 'it must start with "spiffe://" (lower case)');
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain === '') throw invalid(id, 'the trust domain is empty');
  if (!TRUST_DOMAIN.test(trustDomain))
    throw invalid(
      id,
      'the trust domain may hold only lower-case letters, digits, ".", "-" and "_" (no port or user info)',
    );
  if (path !== '') {
    const segments = path.slice(1).split('/');
    for (const s of segments) {
      if (s === '') throw invalid(id, 'the path has an empty segment or a trailing slash');
      if (s === '.' || s === '..') throw invalid(id, 'the path has a "." or ".." segment');
      if (!SEGMENT.test(s))
        throw invalid(
          id,
          'path segments may hold only letters, digits, ".", "-" and "_" (no query or fragment)',
        );
    }
  }
  return { id, trustDomain, path };
}
