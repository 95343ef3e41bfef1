import { MtlsError } from '@mtlskit/core';
import type { StoredRevocation } from '../store/credential-store.js';
import type { AgentRuntime } from './agent-runtime.js';

const ACTION =
  'The backend revoked this identity. Find out why, then clear the state directory (or the store) and enroll again with a new install token.';

/**
 * Stops using the identity for good: only on the protocol's explicit `403 IDENTITY_REVOKED`
 * from the authenticated backend. The revocation is persisted first, so a restart stays revoked.
 */
export async function revoke(rt: AgentRuntime, err: MtlsError): Promise<void> {
  if (rt.life.final) return;
  rt.scheduler.clear();
  rt.life.set('revoked');
  rt.requiredAction = ACTION;
  rt.c.log('error', 'the identity was revoked; the agent stopped using it', { error: err });
  rt.backend.dropMtls();
  const record: StoredRevocation = {
    revokedAt: new Date(rt.c.clock.now()).toISOString(),
    generation: rt.current?.generation ?? 0,
    code: err.code,
    message: err.message,
  };
  const store = rt.c.store;
  if (store.saveRevocation === undefined) {
    rt.warn(
      new MtlsError(
        'ERR_MTLS_STORAGE',
        'The credential store cannot persist a revocation (no saveRevocation()); a restart would use the revoked identity again until the backend refuses it.',
      ),
    );
  } else {
    await rt
      .storeCall('saveRevocation', () => store.saveRevocation!(record))
      .catch((e: unknown) => {
        rt.c.log('error', 'could not persist the revocation', { error: e });
      });
  }
  rt.emit('revoked', { cause: err });
  rt.emit('error', err);
  rt.wakeUpdates();
}

/** The error of `start()` / `current()` for an agent whose store says it was revoked. */
export function revokedError(record: StoredRevocation | undefined): MtlsError {
  return new MtlsError(
    'ERR_MTLS_REVOKED',
    `This agent's identity was revoked${record === undefined ? '' : ` at ${record.revokedAt}`}; it is no longer used. ${ACTION}`,
    { details: record === undefined ? {} : { revokedAt: record.revokedAt, generation: record.generation } },
  );
}
