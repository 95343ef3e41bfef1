import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MtlsError } from '@mtlskit/core';
import lockfile from 'proper-lockfile';
import { storageError } from './storage-error.js';

/** The lock directory inside stateDir (proper-lockfile's mkdir lock). */
export const LOCK = 'agent.lock';
/** Who holds the lock: pid and host, for the dead-owner check. */
export const LOCK_OWNER = 'agent.lock.owner.json';

/** A lock older than this without a refresh is stale (its owner hung or died). */
const STALE_MS = 10_000;

interface Owner {
  pid: number;
  hostname: string;
  startedAt: string;
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dir, LOCK_OWNER), 'utf8')) as Partial<Owner>;
    return typeof v.pid === 'number' && typeof v.hostname === 'string'
      ? { pid: v.pid, hostname: v.hostname, startedAt: String(v.startedAt) }
      : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the exclusive lock of a state directory with `proper-lockfile` (an atomic mkdir,
 * refreshed every few seconds; stale after 10 s without refresh). A lock whose owner
 * process is gone on this host (SIGKILL, crash) is taken over at once, so a restarted agent
 * does not wait for the stale period. Returns the release function.
 */
export async function lockStateDir(
  dir: string,
  onCompromised: (e: MtlsError) => void,
): Promise<() => Promise<void>> {
  const options = {
    lockfilePath: join(dir, LOCK),
    realpath: false,
    stale: STALE_MS,
    update: STALE_MS / 4,
    retries: 0,
    onCompromised: (err: Error) =>
      onCompromised(
        storageError(
          'ERR_MTLS_STATE_LOCKED',
          `The lock of ${dir} was lost (${err.message}); another process may use the state directory now. Run one agent per stateDir.`,
          dir,
        ),
      ),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED')
      throw storageError('ERR_MTLS_STORAGE', `Cannot lock ${dir}.`, dir, err);
    const owner = await readOwner(dir);
    if (
      owner === undefined ||
      owner.hostname !== hostname() ||
      alive(owner.pid) ||
      owner.pid === process.pid
    ) {
      throw storageError(
        'ERR_MTLS_STATE_LOCKED',
        `The state directory ${dir} is in use by another agent${owner === undefined ? '' : ` (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt})`}. Run one agent per stateDir: stop the other one, or give this one its own stateDir.`,
        dir,
        undefined,
        owner === undefined ? {} : { pid: owner.pid, hostname: owner.hostname },
      );
    }
    // The owner died without releasing (SIGKILL): its lock is stale now, not in 10 s.
    await rm(join(dir, LOCK), { recursive: true, force: true });
    release = await lockfile.lock(dir, options).catch((e: unknown) => {
      throw storageError(
        'ERR_MTLS_STATE_LOCKED',
        `The state directory ${dir} is in use by another agent.`,
        dir,
        e,
      );
    });
  }
  const owner: Owner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  await writeFile(join(dir, LOCK_OWNER), JSON.stringify(owner), { mode: 0o600 });
  return async () => {
    await rm(join(dir, LOCK_OWNER), { force: true }).catch(() => undefined);
    await release().catch(() => undefined);
  };
}
