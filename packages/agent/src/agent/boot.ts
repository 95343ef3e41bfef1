import { dirname } from 'node:path';
import { type Credentials, keyMatchesCertificate, MtlsError, parseCertificates } from '@mtlskit/core';
import { makeCredentials } from '../lib/make-credentials.js';
import type { StoredIdentity } from '../store/credential-store.js';
import type { AgentRuntime } from './agent-runtime.js';
import { runEnrollment, warnIfWorldWritableDir } from './enrollment.js';
import { revokedError } from './revocation.js';

/**
 * What `start()` does: takes the store's lock, refuses a revoked identity, loads the stored
 * identity or enrolls (again, when it expired and enrolling is possible).
 */
export async function boot(rt: AgentRuntime): Promise<void> {
  const store = rt.c.store;
  if (store.lock !== undefined && rt.releaseLock === undefined) {
    rt.releaseLock = await rt.storeCall('lock', () => store.lock!());
  }
  if (rt.c.stateDir !== undefined)
    await warnIfWorldWritableDir(rt, dirname(rt.c.stateDir), 'the state directory');
  const revocation = await rt.storeCall('loadRevocation', async () => store.loadRevocation?.());
  rt.throwIfClosed();
  if (revocation !== undefined) {
    const err = revokedError(revocation);
    rt.life.set('revoked');
    rt.requiredAction = err.message;
    throw err;
  }
  const stored = await rt.storeCall('load', () => store.load());
  rt.throwIfClosed();
  if (stored !== undefined) {
    rt.stored = stored;
    rt.agentId = stored.agentId;
    const usable = await usableStored(rt, stored);
    if (usable !== undefined) {
      rt.install(usable, stored);
      rt.c.log('info', 'loaded the stored identity', {
        generation: usable.generation,
        notAfter: usable.notAfter.toISOString(),
      });
      return;
    }
  }
  // No identity (or an expired one): enroll, as the recovery ladder would.
  if (stored !== undefined && !rt.canEnrollAgain()) {
    rt.life.set('expired');
    const err = new MtlsError(
      'ERR_MTLS_REENROLLMENT_REQUIRED',
      'The stored identity expired and no install token is configured; provide a new install token (installToken or installTokenFile) to enroll again.',
    );
    rt.requiredAction =
      'Mint a new install token for this service and set installToken / installTokenFile, then restart the agent.';
    rt.emit('reenrollment-required', { reason: 'expired-without-install-token', cause: err });
    throw err;
  }
  await runEnrollment(rt, stored === undefined ? 'initial' : 'reenroll');
}

/** A stored identity that is still usable, or `undefined` when it expired. */
async function usableStored(rt: AgentRuntime, stored: StoredIdentity): Promise<Credentials | undefined> {
  let leaf: ReturnType<typeof parseCertificates>[number] | undefined;
  let matches = false;
  try {
    leaf = parseCertificates(stored.certificateChainPem)[0];
    matches = leaf !== undefined && (await keyMatchesCertificate(stored.privateKeyPem, leaf));
  } catch {
    matches = false;
  }
  if (leaf === undefined || !matches) {
    throw new MtlsError(
      'ERR_MTLS_STORAGE',
      `The stored identity (generation ${stored.generation}) is unreadable or its key does not match its certificate; remove the state directory to enroll again.`,
      { details: { generation: stored.generation } },
    );
  }
  if (leaf.notAfter.getTime() <= rt.c.clock.now()) {
    rt.c.log('warn', 'the stored identity expired', { notAfter: leaf.notAfter.toISOString() });
    return undefined;
  }
  rt.renewAfterHint = stored.renewAfter === undefined ? undefined : new Date(stored.renewAfter);
  return makeCredentials({
    certificateChainPem: stored.certificateChainPem,
    privateKeyPem: stored.privateKeyPem,
    trustAnchorsPem: stored.trustAnchorsPem,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    generation: stored.generation,
  });
}
