import { MtlsError } from '@mtlskit/core';

/** TLS versions the package allows; 1.2 is the floor. */
export type TlsFloorVersion = 'TLSv1.2' | 'TLSv1.3';

/** Version options shared by every client and server the package builds. */
export interface TlsVersionOptions {
  /** Lowest TLS version; `'TLSv1.2'` or `'TLSv1.3'`. Default `'TLSv1.2'`. */
  minVersion?: TlsFloorVersion;
  /** Highest TLS version. Default: Node's (`'TLSv1.3'`). */
  maxVersion?: TlsFloorVersion;
}

const ALLOWED: readonly string[] = ['TLSv1.2', 'TLSv1.3'];

export function resolveTlsVersions(options: TlsVersionOptions): {
  minVersion: TlsFloorVersion;
  maxVersion?: TlsFloorVersion;
} {
  const min = options.minVersion ?? 'TLSv1.2';
  if (!ALLOWED.includes(min)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `minVersion must be 'TLSv1.2' or 'TLSv1.3' (TLS 1.2 is the floor), got ${String(min)}.`,
    );
  }
  const max = options.maxVersion;
  if (max !== undefined && (!ALLOWED.includes(max) || (min === 'TLSv1.3' && max === 'TLSv1.2'))) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `maxVersion must be 'TLSv1.2' or 'TLSv1.3' and not below minVersion, got ${String(max)}.`,
    );
  }
  return max === undefined ? { minVersion: min } : { minVersion: min, maxVersion: max };
}
