import { importPrivateKey, keyMatchesCertificate, splitPemBundle } from '@mtlskit/core';
import type { PendingKey, StoredIdentity } from '../credential-store.js';
import { storageError } from './storage-error.js';

const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

function invalid(what: string): never {
  throw storageError('ERR_MTLS_STORAGE_INVALID', `Refused to store the identity: ${what}.`);
}

function optionalString(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'string') invalid(`${name} must be a string when set`);
}

/** Shape checks on an identity handed to `save()`: wrong types are a caller bug, said plainly. */
export function checkIdentityShape(identity: StoredIdentity): void {
  if (typeof identity !== 'object' || identity === null) invalid('expected a StoredIdentity object');
  const { generation } = identity;
  if (!Number.isSafeInteger(generation) || generation < 0)
    invalid(`generation must be a non-negative integer, got ${String(generation)}`);
  if (typeof identity.privateKeyPem !== 'string' || !PRIVATE_KEY_PEM.test(identity.privateKeyPem))
    invalid(
      'privateKeyPem is missing or not a PEM private key (note: it is a non-enumerable property on loaded identities, so `{ ...identity }` drops it)',
    );
  if (
    typeof identity.certificateChainPem !== 'string' ||
    !identity.certificateChainPem.includes('-----BEGIN')
  )
    invalid('certificateChainPem is missing or not PEM');
  if (typeof identity.trustAnchorsPem !== 'string') invalid('trustAnchorsPem must be a string');
  if (typeof identity.agentId !== 'string' || identity.agentId === '')
    invalid('agentId must be a non-empty string');
  optionalString(identity.serviceId, 'serviceId');
  optionalString(identity.renewAfter, 'renewAfter');
  if (typeof identity.savedAt !== 'string') invalid('savedAt must be an ISO 8601 string');
}

/**
 * Whether the identity's key belongs to its leaf certificate. Returns a reason instead of
 * throwing so a loader can fall back to an older generation.
 */
export async function keyMismatchReason(
  privateKeyPem: string,
  certificateChainPem: string,
): Promise<{ code: 'ERR_MTLS_STORAGE_KEY_MISMATCH' | 'ERR_MTLS_STORAGE_CORRUPT'; why: string } | undefined> {
  let leaf: string | undefined;
  try {
    leaf = splitPemBundle(certificateChainPem)[0];
  } catch {
    return { code: 'ERR_MTLS_STORAGE_CORRUPT', why: 'the certificate chain is not valid PEM' };
  }
  if (leaf === undefined)
    return { code: 'ERR_MTLS_STORAGE_CORRUPT', why: 'the certificate chain holds no certificate' };
  try {
    if (await keyMatchesCertificate(privateKeyPem, leaf)) return undefined;
  } catch {
    // Deliberately no cause: a key parser's message is not ours to vouch for.
    return {
      code: 'ERR_MTLS_STORAGE_CORRUPT',
      why: 'the private key or the leaf certificate cannot be parsed',
    };
  }
  return {
    code: 'ERR_MTLS_STORAGE_KEY_MISMATCH',
    why: 'the private key does not belong to the leaf certificate',
  };
}

/** Refuses to persist a key and certificate that do not belong together. */
export async function checkIdentityKey(identity: StoredIdentity): Promise<void> {
  const reason = await keyMismatchReason(identity.privateKeyPem, identity.certificateChainPem);
  if (reason)
    throw storageError(
      reason.code === 'ERR_MTLS_STORAGE_KEY_MISMATCH'
        ? 'ERR_MTLS_STORAGE_KEY_MISMATCH'
        : 'ERR_MTLS_STORAGE_INVALID',
      `Refused to store generation ${identity.generation}: ${reason.why}. Save the key that the certificate was issued for.`,
      undefined,
      undefined,
      { generation: identity.generation },
    );
}

/** Shape and parse checks on a pending key handed to `savePendingKey()`. */
export async function checkPendingKey(pending: PendingKey): Promise<void> {
  const bad = (what: string): never => {
    throw storageError('ERR_MTLS_STORAGE_INVALID', `Refused to store the pending key: ${what}.`);
  };
  if (typeof pending !== 'object' || pending === null) bad('expected a PendingKey object');
  if (typeof pending.privateKeyPem !== 'string' || !PRIVATE_KEY_PEM.test(pending.privateKeyPem))
    bad('privateKeyPem is missing or not a PEM private key');
  if (typeof pending.agentId !== 'string' || pending.agentId === '')
    bad('agentId must be a non-empty string');
  if (pending.purpose !== 'enroll' && pending.purpose !== 'renew') bad("purpose must be 'enroll' or 'renew'");
  if (typeof pending.createdAt !== 'string') bad('createdAt must be an ISO 8601 string');
  try {
    await importPrivateKey(pending.privateKeyPem);
  } catch {
    bad('privateKeyPem cannot be parsed as a private key');
  }
}
