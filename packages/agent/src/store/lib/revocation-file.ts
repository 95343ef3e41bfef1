import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredRevocation } from '../credential-store.js';
import { isNotFound, readPrivateFile, syncDir, writePrivateFile } from './safe-fs.js';
import { storageError } from './storage-error.js';

/** The revocation record in stateDir. */
export const REVOKED = 'revoked.json';

export async function writeRevocation(dir: string, record: StoredRevocation): Promise<void> {
  const tmp = join(dir, `${REVOKED}.tmp`);
  await writePrivateFile(tmp, JSON.stringify({ format: 1, ...record }));
  await rename(tmp, join(dir, REVOKED));
  await syncDir(dir);
}

export async function readRevocation(dir: string): Promise<StoredRevocation | undefined> {
  const path = join(dir, REVOKED);
  let text: string;
  try {
    text = await readPrivateFile(path, 64 * 1024);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<StoredRevocation>;
    return {
      revokedAt: String(v.revokedAt),
      generation: Number(v.generation),
      code: String(v.code),
      message: String(v.message),
    };
  } catch (e) {
    // Unreadable, but it says "revoked": stay revoked rather than use the identity again.
    throw storageError(
      'ERR_MTLS_STORAGE_CORRUPT',
      `${path} is not readable JSON; it marks this identity as revoked. Remove the state directory to enroll again.`,
      path,
      e,
    );
  }
}
