import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PendingKey } from '../credential-store.js';
import { FORMAT, parseJson, SMALL_FILE } from './generation-files.js';
import { redactedPendingKey } from './redacted.js';
import {
  checkReplaceable,
  isNotFound,
  type LooseModeHandler,
  lstatOrUndefined,
  readPrivateFile,
  removeLeftoverFile,
  renameIntoPlace,
  syncDir,
  writePrivateFile,
} from './safe-fs.js';
import { fsError, storageError } from './storage-error.js';

// The key of an enrollment or renewal in progress, in stateDir: written to a temporary file and
// renamed into place, so a crash leaves the old file or the new one.

/** The pending key file in stateDir. */
export const PENDING = 'pending-key.json';
/** Its temporary file while it is written. */
export const PENDING_TMP = 'pending-key.json.tmp';

export async function writePendingKey(dir: string, pending: PendingKey): Promise<void> {
  const body = JSON.stringify({
    format: FORMAT,
    privateKeyPem: pending.privateKeyPem,
    agentId: pending.agentId,
    purpose: pending.purpose,
    createdAt: pending.createdAt,
  });
  const target = join(dir, PENDING);
  const tmp = join(dir, PENDING_TMP);
  await checkReplaceable(target, 'the pending key file');
  await removeLeftoverFile(tmp, 'the pending key temporary file');
  await writePrivateFile(tmp, body);
  await renameIntoPlace(tmp, target);
  await syncDir(dir);
}

export async function readPendingKey(
  dir: string,
  onLoose: LooseModeHandler,
): Promise<PendingKey | undefined> {
  const path = join(dir, PENDING);
  let text: string;
  try {
    text = await readPrivateFile(path, SMALL_FILE, onLoose);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const parsed = parseJson(text);
  if (
    !parsed ||
    parsed.format !== FORMAT ||
    typeof parsed.privateKeyPem !== 'string' ||
    typeof parsed.agentId !== 'string' ||
    (parsed.purpose !== 'enroll' && parsed.purpose !== 'renew') ||
    typeof parsed.createdAt !== 'string'
  )
    throw storageError(
      'ERR_MTLS_STORAGE_CORRUPT',
      `The pending key file ${path} is not a pending key this store wrote. Delete it (clearPendingKey()) and start the enrollment or renewal again with a new key.`,
      path,
    );
  return redactedPendingKey({
    privateKeyPem: parsed.privateKeyPem,
    agentId: parsed.agentId,
    purpose: parsed.purpose,
    createdAt: parsed.createdAt,
  });
}

export async function removePendingKey(dir: string): Promise<void> {
  const path = join(dir, PENDING);
  if ((await lstatOrUndefined(path)) === undefined) return;
  // unlink removes a link itself, never its target, so a planted link is safe to remove.
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw fsError(err, path, 'remove');
  }
  await syncDir(dir);
}
