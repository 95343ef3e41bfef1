import { isIP } from 'node:net';
import type { ChainProfile, ChainPurpose } from '@mtlskit/core';
import { CliError } from './cli-error.js';

/** `--at ISO` → Date; a bad value is a usage error. */
export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new CliError(`--at "${value}" is not a date; use ISO 8601, e.g. 2025-06-01T12:00:00Z.`);
  return d;
}

/** `--purpose client|server` → the verifier's purpose. */
export function parsePurpose(value: string | undefined, fallback: ChainPurpose): ChainPurpose {
  if (value === undefined) return fallback;
  if (value === 'client' || value === 'clientAuth') return 'clientAuth';
  if (value === 'server' || value === 'serverAuth') return 'serverAuth';
  if (value === 'any') return 'any';
  throw new CliError(`--purpose "${value}" is not one of client, server, any.`);
}

/** `--profile P`: `webpki` or `rfc5280`; undefined lets verifyChain pick from the purpose. */
export function parseProfile(value: string | undefined): ChainProfile | undefined {
  if (value === undefined || value === 'webpki' || value === 'rfc5280') return value;
  throw new CliError(`--profile "${value}" is not one of webpki, rfc5280.`);
}

/** `--host H` as the verifier wants it: an IP address or a DNS name. */
export function hostOptions(host: string | undefined): { hostname?: string; ip?: string } {
  if (host === undefined) return {};
  if (host === '') throw new CliError('--host needs a DNS name or an IP address.');
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) ? { ip: bare } : { hostname: host };
}

/** A positive integer option (milliseconds, days). */
export function parsePositiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} "${value}" must be a whole number ≥ 0.`);
  return n;
}
