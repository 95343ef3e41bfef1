import type { PendingKey, StoredIdentity } from '../credential-store.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A frozen copy whose `privateKeyPem` is non-enumerable and whose `toJSON` and
 * `util.inspect` forms say `[redacted]`, so logging what a store returned never leaks the key.
 */
function redacted<T extends { privateKeyPem: string }>(value: T, label: string): T {
  const { privateKeyPem, ...rest } = value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) out[k] = v;
  const shown = { ...out, privateKeyPem: '[redacted]' };
  Object.defineProperty(out, 'privateKeyPem', { value: privateKeyPem, enumerable: false });
  Object.defineProperty(out, 'toJSON', { value: () => shown, enumerable: false });
  Object.defineProperty(out, INSPECT, {
    value: () => `${label} ${JSON.stringify(shown)}`,
    enumerable: false,
  });
  return Object.freeze(out) as T;
}

/** A detached, redacted copy of a stored identity. */
export function redactedIdentity(identity: StoredIdentity): StoredIdentity {
  return redacted(
    {
      generation: identity.generation,
      privateKeyPem: identity.privateKeyPem,
      certificateChainPem: identity.certificateChainPem,
      trustAnchorsPem: identity.trustAnchorsPem,
      agentId: identity.agentId,
      serviceId: identity.serviceId,
      renewAfter: identity.renewAfter,
      savedAt: identity.savedAt,
    },
    'StoredIdentity',
  );
}

/** A detached, redacted copy of a pending key. */
export function redactedPendingKey(pending: PendingKey): PendingKey {
  return redacted(
    {
      privateKeyPem: pending.privateKeyPem,
      agentId: pending.agentId,
      purpose: pending.purpose,
      createdAt: pending.createdAt,
    },
    'PendingKey',
  );
}
