import type { IncomingMessage } from 'node:http';
import type { KeyAlgorithm } from '@mtlskit/core';
import type { RegistrationStore } from '../store/registration-store.js';
import type {
  AllocationRecord,
  CertificateIssuer,
  RegistrationServiceEvents,
  ServiceHooks,
} from './service-types.js';

/** Settings resolved from the options, defaults applied. */
export interface ServiceSettings {
  readonly certificateLifetimeMs: number;
  readonly tokenTtlMs: number;
  readonly renewAfterFraction: number | undefined;
  readonly renewBeforeFraction: number | undefined;
  readonly backdateMs: number;
  readonly tokenReuse: 'conflict' | 'invalid';
  readonly keyAlgorithm: KeyAlgorithm;
  /** How long a register may hold a token claim before a retry with the same key takes over. */
  readonly claimLeaseMs: number;
  /** How long a same-key retry waits for a registration in progress before a 503. */
  readonly claimWaitMs: number;
  /** How long identities and used tokens are kept after their last certificate expired. */
  readonly retentionMs: number;
  readonly retryAfterMs: number;
  readonly serviceTypes: readonly ('agent' | 'controller')[];
  readonly keyAlgorithms: readonly string[] | undefined;
  readonly maxMetadataBytes: number;
  readonly allowClientCertificates: boolean;
}

/** Everything a route handler needs. */
export interface ServiceContext {
  readonly issuer: CertificateIssuer;
  readonly caPem: string;
  readonly store: RegistrationStore;
  readonly settings: ServiceSettings;
  readonly adminTokenHash: Buffer;
  readonly hooks: ServiceHooks;
  /** Service time (the injected clock). */
  now(): number;
  /** A real-time wait that `close()` cuts short. */
  sleep(ms: number): Promise<void>;
  emit<E extends keyof RegistrationServiceEvents>(event: E, ...args: RegistrationServiceEvents[E]): void;
  mintInstallToken(input: {
    serviceName: string;
    serviceType: 'agent' | 'controller';
    controllerName: string | undefined;
    ttlMs: number;
  }): { token: string; id: string; expiresAt: number; stored: Promise<void> };
}

/** The answer of a route handler. */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Whether the call changed state (drop-answer hooks act only then). */
  readonly committed: boolean;
}

/** A route handler. */
export type RouteHandler = (
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
) => Promise<RouteResult>;

export type { AllocationRecord };
