import type { IncomingMessage } from 'node:http';
import type { CertificateAuthority, KeyAlgorithm } from '@mtlskit/core';
import type { BackendFaults } from '../backend/backend-faults.js';
import type { BackendState } from './backend-state.js';
import type { TokenRegistry } from './token-registry.js';

/** What the backend keeps about an install token (never the secret). */
export interface InstallTokenEntry {
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  readonly expiresAt: number;
  /** Set, synchronously, by the one register call that claimed the token. */
  use: TokenUse | undefined;
}

/** The registration a token was used for: replayed to a retry with the same key. */
export interface TokenUse {
  /** base64url(SHA-256(SPKI)) of the key that claimed the token. */
  readonly spki: string;
  outcome: Promise<{ serviceId: string; body: Record<string, unknown> }>;
  serviceId: string | undefined;
}

/** What the backend keeps about an allocation token. */
export interface AllocationTokenEntry {
  readonly owner: string;
  readonly pools: readonly string[] | undefined;
}

/** Settings resolved from the options, defaults applied. */
export interface BackendSettings {
  readonly certificateLifetimeMs: number;
  readonly tokenTtlMs: number;
  readonly renewAfterFraction: number | undefined;
  readonly backdateMs: number;
  readonly tokenReuse: 'conflict' | 'invalid';
  readonly keyAlgorithm: KeyAlgorithm;
}

/** Everything a route handler needs. */
export interface BackendContext {
  readonly ca: CertificateAuthority;
  readonly caPem: string;
  readonly faults: BackendFaults;
  readonly state: BackendState;
  readonly installTokens: TokenRegistry<InstallTokenEntry>;
  readonly allocationTokens: TokenRegistry<AllocationTokenEntry>;
  readonly adminTokenHash: Buffer;
  readonly settings: BackendSettings;
  /** Backend time: the clock plus the fault clock offset. */
  now(): number;
  /** A second CA for the `foreign-ca` bad renewal, made on first use. */
  foreignCa(): Promise<CertificateAuthority>;
  mintInstallToken(input: {
    serviceName: string;
    serviceType: 'agent' | 'controller';
    controllerName: string | undefined;
    ttlMs: number;
  }): { token: string; expiresAt: number };
}

/** The answer of a route handler. */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Whether the call changed state (drop-after-commit faults act only then). */
  readonly committed: boolean;
}

/** A route handler. */
export type RouteHandler = (
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
) => Promise<RouteResult>;
