import { randomBytes } from 'node:crypto';
import { readdir, realpath, symlink, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MtlsError } from '@mtlskit/core';
import type { CredentialStore, PendingKey, StoredIdentity, StoredRevocation } from './credential-store.js';
import { checkIdentityKey, checkIdentityShape, checkPendingKey } from './lib/check-input.js';
import {
  GEN,
  type Generation,
  genName,
  genNumber,
  readGeneration,
  TMP_PREFIX,
  writeGeneration,
} from './lib/generation-files.js';
import {
  PENDING,
  PENDING_TMP,
  readPendingKey,
  removePendingKey,
  writePendingKey,
} from './lib/pending-key-file.js';
import { redactedIdentity } from './lib/redacted.js';
import { REVOKED, readRevocation, writeRevocation } from './lib/revocation-file.js';
import {
  checkStateDir,
  isNotFound,
  lstatOrUndefined,
  readLinkOrUndefined,
  remove,
  removeLeftoverFile,
  renameIntoPlace,
  symlinkRefused,
  syncDir,
  writePrivateFile,
} from './lib/safe-fs.js';
import { lockStateDir } from './lib/state-dir-lock.js';
import { fsError, type StorageErrorCode, storageError } from './lib/storage-error.js';

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * const options: FileStoreOptions = { keep: 3, onWarning: (w) => console.warn(w.code, w.message) };
 * const store = new FileStore('/var/lib/my-agent', options);
 * ```
 */
export interface FileStoreOptions {
  /**
   * How many complete generations stay on disk, the current one included (older ones are
   * deleted after each save). At least 1. Default: 2 — the current and the previous one.
   */
  keep?: number;
  /**
   * Accept a `stateDir` that is itself a symbolic link (e.g. a link to a mounted volume).
   * Links inside the directory are refused regardless. Default: false.
   */
  allowSymlinkedStateDir?: boolean;
  /**
   * Called with what the store repaired or skipped without failing: an interrupted save
   * finished or rolled back (`ERR_MTLS_STORAGE_RECOVERED`), a generation skipped because
   * its key does not match its certificate (`ERR_MTLS_STORAGE_KEY_MISMATCH`) or it is
   * unreadable (`ERR_MTLS_STORAGE_CORRUPT`), a loose file mode tightened
   * (`ERR_MTLS_STORAGE_PERMISSIONS`). Messages never contain key material.
   * Default: warnings are dropped.
   */
  onWarning?: (warning: MtlsError) => void;
}

const CURRENT = 'current';
const CURRENT_TMP = 'current.tmp';
const CLEARING = 'clearing';
const REJECTED_PREFIX = 'rejected-';

/**
 * A {@link CredentialStore} on the local file system, safe against crashes and planted
 * links. Layout of `stateDir` (mode 0700):
 *
 * - `gen-<n>/` — one generation: `key.pem`, `chain.pem`, `trust-anchors.pem`,
 *   `identity.json` and, written last, `commit.json` (the commit marker: SHA-256 of every
 *   other file). Files 0600, directories 0700, whatever the umask.
 * - `current` — a relative symlink to the current `gen-<n>`, switched with an atomic rename.
 * - `pending-key.json` — the key of an enrollment or renewal in progress.
 *
 * A save writes a temporary directory, fsyncs every file and the directory, renames it to
 * `gen-<n>`, points `current.tmp` at it, renames that over `current` and fsyncs `stateDir`;
 * a crash at any point leaves either the old or the new generation current. `load()`
 * repairs what a crash left: temporary directories are deleted; a committed generation
 * newer than `current` is made current (its save had finished writing); `current` pointing
 * at a missing, incomplete, unreadable or mismatched generation falls back to the newest
 * good one (reported through `onWarning`, and the bad one is moved aside as
 * `rejected-gen-<n>-…` until the next save prunes it). A generation is only returned when
 * its private key matches its leaf certificate.
 *
 * Links and foreign files are refused with coded errors: a `stateDir` that is a symlink
 * (`ERR_MTLS_STORAGE_SYMLINK`, unless `allowSymlinkedStateDir`), a planted link at
 * `current`, `current.tmp`, a generation directory or a file (`ERR_MTLS_STORAGE_SYMLINK`),
 * a hard-linked file (`ERR_MTLS_STORAGE_HARDLINK`), files or directories owned by another
 * user (`ERR_MTLS_STORAGE_PERMISSIONS`). Other failures are `ERR_MTLS_STORAGE`. One
 * process should own a `stateDir`; calls on one instance are serialised.
 *
 * @example
 * ```ts
 * const store = new FileStore('/var/lib/my-agent', { onWarning: (w) => log.warn(w.message) });
 * const identity = await store.load();
 * if (!identity) await store.save({ generation: 1, privateKeyPem, certificateChainPem, trustAnchorsPem, agentId, savedAt: new Date().toISOString() });
 * ```
 */
export class FileStore implements CredentialStore {
  /** The absolute state directory. */
  readonly stateDir: string;
  readonly #keep: number;
  readonly #allowSymlink: boolean;
  readonly #onWarning: ((warning: MtlsError) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** `stateDir`, or where it links to when `allowSymlinkedStateDir` let a link through. */
  #dir: string;
  /** Generation `current` points at; `null` until the directory was scanned. */
  #current: number | undefined | null = null;

  constructor(stateDir: string, options: FileStoreOptions = {}) {
    if (typeof stateDir !== 'string' || stateDir === '')
      throw storageError('ERR_MTLS_STORAGE_INVALID', 'FileStore needs a stateDir: pass a directory path.');
    const keep = options.keep ?? 2;
    if (!Number.isSafeInteger(keep) || keep < 1)
      throw storageError(
        'ERR_MTLS_STORAGE_INVALID',
        `FileStore keep must be an integer ≥ 1, got ${String(keep)}.`,
      );
    this.stateDir = resolve(stateDir);
    this.#dir = this.stateDir;
    this.#keep = keep;
    this.#allowSymlink = options.allowSymlinkedStateDir ?? false;
    this.#onWarning = options.onWarning;
  }

  async load(): Promise<StoredIdentity | undefined> {
    return this.#exclusive(async () => {
      if (!(await this.#checkDir(false))) {
        this.#current = undefined;
        return undefined;
      }
      const found = await this.#recover();
      return found?.identity;
    });
  }

  async save(identity: StoredIdentity): Promise<void> {
    checkIdentityShape(identity);
    await checkIdentityKey(identity);
    const copy = redactedIdentity(identity);
    return this.#exclusive(async () => {
      await this.#checkDir(true);
      const current = this.#current === null ? (await this.#recover())?.identity.generation : this.#current;
      const n = copy.generation;
      if (current !== undefined && n <= current)
        throw storageError(
          'ERR_MTLS_STORAGE_GENERATION',
          `Refused to save generation ${n} in ${this.stateDir}: generation ${current} is already current, and generations only go up. Save generation ${current + 1} or later.`,
          this.stateDir,
          undefined,
          { generation: n, current },
        );
      await writeGeneration(this.#dir, copy);
      await this.#switchCurrent(n);
      this.#current = n;
      await this.#prune(n);
    });
  }

  async savePendingKey(pending: PendingKey): Promise<void> {
    await checkPendingKey(pending);
    return this.#exclusive(async () => {
      await this.#checkDir(true);
      await writePendingKey(this.#dir, pending);
    });
  }

  async loadPendingKey(): Promise<PendingKey | undefined> {
    return this.#exclusive(async () => {
      if (!(await this.#checkDir(false))) return undefined;
      return readPendingKey(this.#dir, this.#loose);
    });
  }

  async clearPendingKey(): Promise<void> {
    return this.#exclusive(async () => {
      if (!(await this.#checkDir(false))) return;
      await removePendingKey(this.#dir);
    });
  }

  async clear(): Promise<void> {
    return this.#exclusive(async () => {
      if (!(await this.#checkDir(false))) {
        this.#current = undefined;
        return;
      }
      // The marker makes a clear that a crash interrupted finish at the next load instead of
      // resurrecting a generation that was meant to be gone.
      const marker = join(this.#dir, CLEARING);
      if ((await lstatOrUndefined(marker)) === undefined) {
        await writePrivateFile(marker, 'clear in progress\n');
        await syncDir(this.#dir);
      }
      await this.#finishClear();
    });
  }

  async saveRevocation(revocation: StoredRevocation): Promise<void> {
    return this.#exclusive(async () => {
      await this.#checkDir(true);
      await writeRevocation(this.#dir, revocation);
    });
  }

  async loadRevocation(): Promise<StoredRevocation | undefined> {
    return this.#exclusive(async () => {
      if (!(await this.#checkDir(false))) return undefined;
      return readRevocation(this.#dir);
    });
  }

  /**
   * Takes the exclusive lock of `stateDir` (`agent.lock`, with `proper-lockfile`): a second
   * process fails fast with `ERR_MTLS_STATE_LOCKED`. A lock left by a dead process on this
   * host is taken over. Resolves with the release function.
   */
  async lock(): Promise<() => Promise<void>> {
    return this.#exclusive(async () => {
      await this.#checkDir(true);
      return lockStateDir(this.#dir, (e) => {
        if (this.#onWarning) this.#onWarning(e);
      });
    });
  }

  /** A summary without secrets (the store keeps no key material in memory anyway). */
  toJSON(): { stateDir: string; keep: number; currentGeneration: number | undefined | null } {
    return { stateDir: this.stateDir, keep: this.#keep, currentGeneration: this.#current };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `FileStore ${JSON.stringify(this.toJSON())}`;
  }

  #loose = (path: string, mode: number): void => {
    this.#warn(
      'ERR_MTLS_STORAGE_PERMISSIONS',
      `${path} had mode ${mode.toString(8)}; it was restricted to owner-only. Find out what loosened it.`,
      path,
    );
  };

  #warn(code: StorageErrorCode, message: string, path?: string, details?: Record<string, unknown>): void {
    if (!this.#onWarning) return;
    try {
      this.#onWarning(storageError(code, message, path, undefined, details));
    } catch {
      // A throwing warning handler must not break storage.
    }
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn).catch((err: unknown) => {
      // After a failure the on-disk state is re-read before the next operation trusts it.
      this.#current = null;
      throw err;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #checkDir(create: boolean): Promise<boolean> {
    const exists = await checkStateDir(this.stateDir, {
      create,
      allowSymlink: this.#allowSymlink,
      onLoose: this.#loose,
    });
    if (exists && this.#allowSymlink) {
      try {
        this.#dir = await realpath(this.stateDir);
      } catch (err) {
        throw fsError(err, this.stateDir, 'resolve');
      }
    }
    return exists;
  }

  /** The generation `current` points at, `undefined` without `current`; planted links throw. */
  async #readCurrent(): Promise<number | undefined> {
    const path = join(this.#dir, CURRENT);
    const st = await lstatOrUndefined(path);
    if (st === undefined) return undefined;
    if (!st.isSymbolicLink())
      throw storageError(
        'ERR_MTLS_STORAGE',
        `${path} is not the symbolic link the credential store maintains. Remove it; the newest complete generation will be used.`,
        path,
      );
    const target = await readLinkOrUndefined(path);
    if (target === undefined) return undefined;
    const n = genNumber(target);
    if (n === undefined)
      throw storageError(
        'ERR_MTLS_STORAGE_SYMLINK',
        `Refused to follow ${path}: it points at "${target}", not at a generation directory inside the state directory. Remove the link and check who else can write to the state directory.`,
        path,
      );
    return n;
  }

  /** Finishes or rolls back whatever a crash interrupted, and returns the good current generation. */
  async #recover(): Promise<{ identity: StoredIdentity } | undefined> {
    const names = await this.#list();
    if (names.includes(CLEARING)) {
      this.#warn('ERR_MTLS_STORAGE_RECOVERED', `Finished a clear of ${this.stateDir} that was interrupted.`);
      await this.#finishClear();
      return undefined;
    }
    for (const name of names) {
      const path = join(this.#dir, name);
      if (name.startsWith(TMP_PREFIX)) {
        await remove(path);
        this.#warn(
          'ERR_MTLS_STORAGE_RECOVERED',
          `Removed ${path}, left by a save that did not finish.`,
          path,
        );
      }
    }
    await this.#removeStaleCurrentTmp();
    if (names.includes(PENDING_TMP))
      await removeLeftoverFile(join(this.#dir, PENDING_TMP), 'the pending key temporary file');

    const gens: number[] = [];
    for (const name of names) {
      const n = genNumber(name);
      if (n === undefined) continue;
      const path = join(this.#dir, name);
      const st = await lstatOrUndefined(path);
      if (st === undefined) continue;
      if (st.isSymbolicLink()) symlinkRefused(path, 'a generation directory');
      if (!st.isDirectory())
        throw storageError(
          'ERR_MTLS_STORAGE',
          `${path} is not a directory the credential store wrote. Remove it and restart.`,
          path,
        );
      gens.push(n);
    }
    gens.sort((a, b) => b - a);
    const current = await this.#readCurrent();

    let chosen: { n: number; identity: StoredIdentity } | undefined;
    for (const n of gens) {
      const result = await readGeneration(this.#dir, n, this.#loose);
      if (result.ok) {
        chosen = { n, identity: result.identity };
        break;
      }
      await this.#setAside(n, result);
    }

    if (chosen === undefined) {
      if (current !== undefined) {
        await this.#unlinkCurrent();
        this.#warn(
          'ERR_MTLS_STORAGE_RECOVERED',
          `${join(this.#dir, CURRENT)} pointed at generation ${current}, which is missing or unusable, and no other complete generation exists: the store is empty. The agent has to enroll again.`,
          join(this.#dir, CURRENT),
          { generation: current },
        );
      }
      this.#current = undefined;
      return undefined;
    }
    if (chosen.n !== current) {
      await this.#switchCurrent(chosen.n);
      this.#warn(
        'ERR_MTLS_STORAGE_RECOVERED',
        current === undefined || chosen.n > current
          ? `Finished an interrupted save: generation ${chosen.n} in ${this.stateDir} was complete but not yet current, and is now current.`
          : `Generation ${current} in ${this.stateDir} is missing or unusable; fell back to generation ${chosen.n}.`,
        this.stateDir,
        { generation: chosen.n, previous: current },
      );
    }
    this.#current = chosen.n;
    return { identity: chosen.identity };
  }

  async #list(): Promise<string[]> {
    try {
      return await readdir(this.#dir);
    } catch (err) {
      throw fsError(err, this.stateDir, 'list');
    }
  }

  /** `current.tmp` left by an interrupted switch points at a generation; anything else was planted. */
  async #removeStaleCurrentTmp(): Promise<void> {
    const path = join(this.#dir, CURRENT_TMP);
    const st = await lstatOrUndefined(path);
    if (st === undefined) return;
    if (!st.isSymbolicLink())
      throw storageError(
        'ERR_MTLS_STORAGE',
        `${path} is not a link the credential store created. Remove it and retry.`,
        path,
      );
    const target = await readLinkOrUndefined(path);
    if (target === undefined || genNumber(target) === undefined)
      symlinkRefused(path, `${CURRENT_TMP} (pointing at "${target ?? '?'}")`);
    try {
      await unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw fsError(err, path, 'remove');
    }
  }

  async #unlinkCurrent(): Promise<void> {
    const path = join(this.#dir, CURRENT);
    try {
      await unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw fsError(err, path, 'remove');
    }
    await syncDir(this.#dir);
  }

  /** An unusable generation: a torn one is deleted, a committed but bad one kept aside for inspection. */
  async #setAside(n: number, result: Extract<Generation, { ok: false }>): Promise<void> {
    const path = join(this.#dir, genName(n));
    if (result.incomplete) {
      await remove(path);
      this.#warn(
        'ERR_MTLS_STORAGE_RECOVERED',
        `Removed generation ${n} (${path}): ${result.why}, so its save never finished.`,
        path,
        { generation: n },
      );
      return;
    }
    const aside = join(this.#dir, `${REJECTED_PREFIX}${genName(n)}-${randomBytes(4).toString('hex')}`);
    await renameIntoPlace(path, aside);
    await syncDir(this.#dir);
    this.#warn(
      result.code,
      `Skipped generation ${n}: ${result.why}. It was moved to ${aside} (deleted at the next save); the newest good generation is used instead.`,
      aside,
      { generation: n },
    );
  }

  async #switchCurrent(n: number): Promise<void> {
    const link = join(this.#dir, CURRENT_TMP);
    await this.#removeStaleCurrentTmp();
    // Refuses a planted `current` before replacing it.
    await this.#readCurrent();
    try {
      await symlink(genName(n), link);
    } catch (err) {
      throw fsError(err, link, 'create link');
    }
    await renameIntoPlace(link, join(this.#dir, CURRENT));
    await syncDir(this.#dir);
  }

  /** Deletes generations beyond `keep` and set-aside ones; failures only warn, the save already succeeded. */
  async #prune(current: number): Promise<void> {
    try {
      const names = await this.#list();
      const older = names
        .map((name) => genNumber(name))
        .filter((n): n is number => n !== undefined && n < current)
        .sort((a, b) => b - a);
      const doomed = [
        ...older.slice(this.#keep - 1).map(genName),
        ...names.filter((name) => name.startsWith(REJECTED_PREFIX)),
      ];
      for (const name of doomed) await remove(join(this.#dir, name));
      if (doomed.length > 0) await syncDir(this.#dir);
    } catch (err) {
      const e = fsError(err, this.stateDir, 'prune old generations in');
      this.#warn('ERR_MTLS_STORAGE', e.message, this.stateDir);
    }
  }

  async #finishClear(): Promise<void> {
    // `current` goes first so that nothing half-deleted can become current.
    await this.#unlinkCurrent();
    for (const name of await this.#list()) {
      if (
        name === CURRENT_TMP ||
        name === PENDING ||
        name === PENDING_TMP ||
        name === REVOKED ||
        GEN.test(name) ||
        name.startsWith(TMP_PREFIX) ||
        name.startsWith(REJECTED_PREFIX)
      )
        await remove(join(this.#dir, name));
    }
    await syncDir(this.#dir);
    try {
      await unlink(join(this.#dir, CLEARING));
    } catch (err) {
      if (!isNotFound(err)) throw fsError(err, join(this.#dir, CLEARING), 'remove');
    }
    await syncDir(this.#dir);
    this.#current = undefined;
  }
}
