import type {
  ClaimResult,
  RegistrationStore,
  StoredAllocationToken,
  StoredCertificate,
  StoredHeartbeat,
  StoredIdentity,
  StoredInstallToken,
  TokenClaim,
} from './registration-store.js';

interface TokenEntry {
  token: StoredInstallToken;
  claim: TokenClaim | undefined;
}

interface IdentityEntry {
  identity: StoredIdentity;
  certificates: StoredCertificate[];
}

/**
 * A {@link RegistrationStore} in this process's memory: for one replica, development
 * and tests. Every method changes the state synchronously, before its promise settles,
 * so a single-threaded caller sees the same atomicity as the Redis scripts. Everything is
 * lost when the process ends. The extra synchronous readers (`identities()`,
 * `installTokens()`, `registrations`) exist for tests and inspection.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const service = createRegistrationService({ issuer: ca, store });
 * console.log(store.identities().length);
 * ```
 */
export class MemoryStore implements RegistrationStore {
  readonly #tokens = new Map<string, TokenEntry>();
  readonly #identities = new Map<string, IdentityEntry>();
  readonly #certificates = new Map<string, StoredCertificate>();
  readonly #allocation = new Map<string, StoredAllocationToken>();
  #counts = { registrations: 0, renewals: 0, heartbeats: 0 };

  /** Successful registrations so far (replayed answers do not count). */
  get registrations(): number {
    return this.#counts.registrations;
  }

  /** Every identity, oldest first, with the fingerprints of all its certificates. */
  identities(): { identity: StoredIdentity; certificateFingerprints: string[] }[] {
    return [...this.#identities.values()].map((e) => ({
      identity: e.identity,
      certificateFingerprints: e.certificates.map((c) => c.fingerprint),
    }));
  }

  /** Every install token with its claim, in minting order. */
  installTokens(): { token: StoredInstallToken; claim: TokenClaim | undefined }[] {
    return [...this.#tokens.values()].map((e) => ({ token: e.token, claim: e.claim }));
  }

  /** Identities whose service id is `id` or, failing that, whose agent id is `id`. */
  find(id: string): StoredIdentity[] {
    const bySid = this.#identities.get(id);
    if (bySid) return [bySid.identity];
    return [...this.#identities.values()].filter((e) => e.identity.agentId === id).map((e) => e.identity);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  putInstallToken(token: StoredInstallToken): Promise<void> {
    this.#tokens.set(token.id, { token, claim: undefined });
    return Promise.resolve();
  }

  getInstallToken(
    id: string,
  ): Promise<{ token: StoredInstallToken; claim: TokenClaim | undefined } | undefined> {
    const e = this.#tokens.get(id);
    return Promise.resolve(e && { token: e.token, claim: e.claim });
  }

  claimInstallToken(
    id: string,
    c: { spki: string; serviceId: string; now: number; leaseMs: number },
  ): Promise<ClaimResult> {
    return Promise.resolve(this.#claim(id, c));
  }

  #claim(id: string, c: { spki: string; serviceId: string; now: number; leaseMs: number }): ClaimResult {
    const e = this.#tokens.get(id);
    if (!e) return { kind: 'missing' };
    const leaseUntil = c.now + c.leaseMs;
    if (e.claim) {
      const old = e.claim;
      if (old.spki === c.spki && old.response === undefined && old.leaseUntil <= c.now) {
        e.claim = { ...old, leaseUntil };
        return { kind: 'claimed', serviceId: old.serviceId };
      }
      return { kind: 'taken', claim: old };
    }
    if (c.now >= e.token.expiresAt) return { kind: 'expired' };
    e.claim = { spki: c.spki, serviceId: c.serviceId, leaseUntil, response: undefined };
    return { kind: 'claimed', serviceId: c.serviceId };
  }

  completeClaim(id: string, spki: string, response: string): Promise<string | undefined> {
    const e = this.#tokens.get(id);
    if (!e?.claim || e.claim.spki !== spki) return Promise.resolve(undefined);
    if (e.claim.response === undefined) {
      e.claim = { ...e.claim, response };
      this.#counts.registrations += 1;
    }
    return Promise.resolve(e.claim.response);
  }

  releaseClaim(id: string, spki: string): Promise<void> {
    const e = this.#tokens.get(id);
    if (e?.claim && e.claim.spki === spki && e.claim.response === undefined) e.claim = undefined;
    return Promise.resolve();
  }

  putIdentity(identity: StoredIdentity, certificate: StoredCertificate): Promise<void> {
    const old = this.#identities.get(identity.serviceId);
    // A same-key takeover writes the identity again: never undo a revocation or counts.
    const merged = old
      ? {
          ...identity,
          revoked: old.identity.revoked,
          renewals: old.identity.renewals,
          heartbeats: old.identity.heartbeats,
        }
      : identity;
    this.#identities.set(identity.serviceId, {
      identity: merged,
      certificates: [...(old?.certificates ?? []), certificate],
    });
    this.#certificates.set(certificate.fingerprint, certificate);
    return Promise.resolve();
  }

  getIdentity(serviceId: string): Promise<StoredIdentity | undefined> {
    return Promise.resolve(this.#identities.get(serviceId)?.identity);
  }

  authenticate(
    fingerprint: string,
  ): Promise<{ certificate: StoredCertificate; identity: StoredIdentity } | undefined> {
    const certificate = this.#certificates.get(fingerprint);
    const identity = certificate && this.#identities.get(certificate.serviceId)?.identity;
    return Promise.resolve(certificate && identity ? { certificate, identity } : undefined);
  }

  addCertificate(certificate: StoredCertificate): Promise<'ok' | 'revoked' | 'missing'> {
    const e = this.#identities.get(certificate.serviceId);
    if (!e) return Promise.resolve('missing');
    if (e.identity.revoked) return Promise.resolve('revoked');
    e.certificates.push(certificate);
    this.#certificates.set(certificate.fingerprint, certificate);
    e.identity = {
      ...e.identity,
      renewals: e.identity.renewals + 1,
      certificateFingerprint: certificate.fingerprint,
      notAfter: certificate.notAfter,
    };
    this.#counts.renewals += 1;
    return Promise.resolve('ok');
  }

  recordHeartbeat(serviceId: string, heartbeat: StoredHeartbeat): Promise<void> {
    const e = this.#identities.get(serviceId);
    if (e) {
      e.identity = { ...e.identity, heartbeats: e.identity.heartbeats + 1, lastHeartbeat: heartbeat };
      this.#counts.heartbeats += 1;
    }
    return Promise.resolve();
  }

  revoke(serviceIdOrAgentId: string): Promise<string[]> {
    const found = this.find(serviceIdOrAgentId);
    for (const identity of found) {
      const e = this.#identities.get(identity.serviceId)!;
      e.identity = { ...e.identity, revoked: true };
    }
    return Promise.resolve(found.map((i) => i.serviceId));
  }

  putAllocationToken(token: StoredAllocationToken): Promise<void> {
    this.#allocation.set(token.id, token);
    return Promise.resolve();
  }

  getAllocationToken(id: string): Promise<StoredAllocationToken | undefined> {
    return Promise.resolve(this.#allocation.get(id));
  }

  stats(): Promise<{ registrations: number; renewals: number; heartbeats: number }> {
    return Promise.resolve({ ...this.#counts });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A store in this process's memory (the default of {@link createRegistrationService}):
 * right for one replica, development and tests; lost on restart. For several replicas
 * use {@link createRedisStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore, createRegistrationService } from '@mtlskit/server';
 * const service = createRegistrationService({ issuer: ca, store: createMemoryStore() });
 * ```
 */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
