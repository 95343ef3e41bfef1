import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readlink, rename, rm, stat, unlink } from 'node:fs/promises';
import { fsError, storageError } from './storage-error.js';

// O_NOFOLLOW makes open() fail with ELOOP on a planted link instead of following it; on
// platforms without it the lstat/fstat checks below are the only line of defence.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
// A FIFO planted at a key path would block a plain open() for ever.
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Called when the store tightened a loose mode it found. */
export type LooseModeHandler = (path: string, mode: number) => void;

export function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}

export function isNotFound(err: unknown): boolean {
  return isErrno(err, 'ENOENT', 'ENOTDIR');
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw fsError(err, path, 'inspect');
  }
}

function checkOwner(st: Stats, path: string): void {
  const uid = ownUid();
  if (uid !== undefined && st.uid !== uid)
    throw storageError(
      'ERR_MTLS_STORAGE_PERMISSIONS',
      `Refused to use ${path}: it is owned by uid ${st.uid}, not by this process (uid ${uid}). Run the agent as the owner, or chown the state directory to the agent's user.`,
      path,
      undefined,
      { ownerUid: st.uid, processUid: uid },
    );
}

export function symlinkRefused(path: string, what: string): never {
  throw storageError(
    'ERR_MTLS_STORAGE_SYMLINK',
    `Refused to use ${path}: ${what} is a symbolic link the credential store did not create. Remove it and check who else can write to the state directory.`,
    path,
  );
}

/**
 * Reads a file the store owns: never through a link, only a regular file with one link,
 * owned by this user and at most `maxBytes` long. Group/other bits are removed (and
 * reported) rather than refused so that a stray `chmod` does not strand the agent.
 */
export async function readPrivateFile(
  path: string,
  maxBytes: number,
  onLoose?: LooseModeHandler,
): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    if (isNotFound(err)) throw err;
    throw fsError(err, path, 'read');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw storageError(
        'ERR_MTLS_STORAGE_CORRUPT',
        `Refused to read ${path}: it is not a regular file. Remove it; the store will fall back to another generation.`,
        path,
      );
    if (st.nlink !== 1)
      throw storageError(
        'ERR_MTLS_STORAGE_HARDLINK',
        `Refused to read ${path}: it has ${st.nlink} hard links, so another path shares its content. Remove the extra links (or the file) and check who else can write to the state directory.`,
        path,
        undefined,
        { nlink: st.nlink },
      );
    checkOwner(st, path);
    if ((st.mode & 0o077) !== 0) {
      await handle.chmod(0o600);
      onLoose?.(path, st.mode & 0o777);
    }
    if (st.size > maxBytes)
      throw storageError(
        'ERR_MTLS_STORAGE_CORRUPT',
        `Refused to read ${path}: it is ${st.size} bytes, more than the ${maxBytes} a credential file may have.`,
        path,
      );
    const buf = await handle.readFile();
    if (buf.length > maxBytes)
      throw storageError(
        'ERR_MTLS_STORAGE_CORRUPT',
        `Refused to read ${path}: it grew while being read.`,
        path,
      );
    return buf.toString('utf8');
  } catch (err) {
    throw fsError(err, path, 'read');
  } finally {
    await handle.close();
  }
}

/**
 * Creates a new file (never an existing one, never through a link) with mode 0600 whatever
 * the umask, writes it and fsyncs it.
 */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  } catch (err) {
    if (isErrno(err, 'EEXIST'))
      throw storageError(
        'ERR_MTLS_STORAGE',
        `Refused to write ${path}: something already exists at that path. Remove it and retry.`,
        path,
        err,
      );
    throw fsError(err, path, 'create');
  }
  try {
    // The umask may have removed bits from 0600 but never adds any; chmod makes it exact.
    await handle.chmod(0o600);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    const st = await handle.stat();
    if ((st.mode & 0o777) !== 0o600 || st.nlink !== 1)
      throw storageError(
        'ERR_MTLS_STORAGE_PERMISSIONS',
        `Could not make ${path} private (mode ${(st.mode & 0o777).toString(8)}, ${st.nlink} links): use a local file system that supports POSIX modes for stateDir.`,
        path,
      );
  } catch (err) {
    throw fsError(err, path, 'write');
  } finally {
    await handle.close();
  }
}

/** Creates a directory with mode 0700 whatever the umask. */
export async function makePrivateDir(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
    await chmod(path, 0o700);
  } catch (err) {
    throw fsError(err, path, 'create directory');
  }
}

/** Makes a directory's entries (creations, renames, unlinks) durable. */
export async function syncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | DIRECTORY | NOFOLLOW);
  } catch (err) {
    throw fsError(err, path, 'open directory');
  }
  try {
    await handle.sync();
  } catch (err) {
    // Some platforms cannot fsync a directory; their rename is as durable as it gets.
    if (!isErrno(err, 'EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP')) throw fsError(err, path, 'sync directory');
  } finally {
    await handle.close();
  }
}

/** Removes a file, a link or a whole tree; links are removed, never followed. */
export async function remove(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    throw fsError(err, path, 'remove');
  }
}

/** The target of a link, or `undefined` when `path` does not exist. */
export async function readLinkOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw fsError(err, path, 'read link');
  }
}

/**
 * Checks (and with `create`, makes) the state directory: a real directory unless
 * `allowSymlink`, owned by this user, mode 0700 (looser modes are tightened and reported).
 * Returns false when it does not exist and `create` is false.
 */
export async function checkStateDir(
  path: string,
  options: { create: boolean; allowSymlink: boolean; onLoose?: LooseModeHandler | undefined },
): Promise<boolean> {
  let st = await lstatOrUndefined(path);
  if (st === undefined) {
    if (!options.create) return false;
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
      await chmod(path, 0o700);
    } catch (err) {
      throw fsError(err, path, 'create the state directory');
    }
    st = await lstat(path);
  }
  if (st.isSymbolicLink()) {
    if (!options.allowSymlink)
      throw storageError(
        'ERR_MTLS_STORAGE_SYMLINK',
        `Refused to use the state directory ${path}: it is a symbolic link. Pass the real directory, or set allowSymlinkedStateDir: true if the link is intended (for example a mounted volume).`,
        path,
      );
    try {
      st = await stat(path);
    } catch (err) {
      throw fsError(err, path, 'open the state directory');
    }
  }
  if (!st.isDirectory())
    throw storageError(
      'ERR_MTLS_STORAGE',
      `The state directory ${path} is not a directory: point stateDir at a directory the agent owns.`,
      path,
    );
  checkOwner(st, path);
  if ((st.mode & 0o777) !== 0o700) {
    try {
      await chmod(path, 0o700);
    } catch (err) {
      throw fsError(err, path, 'restrict the mode of');
    }
    if ((st.mode & 0o077) !== 0) options.onLoose?.(path, st.mode & 0o777);
  }
  return true;
}

/** `rename(from, to)` with the store's error for a failure. */
export async function renameIntoPlace(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    throw fsError(err, to, 'rename into place');
  }
}

/**
 * The stats of a regular file at `path`, or undefined when nothing is there; a link or any
 * other kind of file is refused (`verb`: what the store was about to do with it).
 */
async function regularFileOrUndefined(
  path: string,
  what: string,
  verb: 'replace' | 'remove',
): Promise<Stats | undefined> {
  const st = await lstatOrUndefined(path);
  if (st === undefined) return undefined;
  if (st.isSymbolicLink()) symlinkRefused(path, what);
  if (!st.isFile())
    throw storageError(
      'ERR_MTLS_STORAGE',
      `Refused to ${verb} ${path}: ${what} is not a regular file. Remove it${verb === 'remove' ? ' by hand' : ''} and retry.`,
      path,
    );
  return st;
}

/** A path the store is about to replace must be absent or one of its own regular files. */
export async function checkReplaceable(path: string, what: string): Promise<void> {
  const st = await regularFileOrUndefined(path, what, 'replace');
  if (st !== undefined && st.nlink !== 1)
    throw storageError(
      'ERR_MTLS_STORAGE_HARDLINK',
      `Refused to replace ${path}: ${what} has ${st.nlink} hard links. Remove the extra links and check who else can write to the state directory.`,
      path,
    );
}

/** A temporary file left by a crash is removed; a link planted there is refused. */
export async function removeLeftoverFile(path: string, what: string): Promise<void> {
  if ((await regularFileOrUndefined(path, what, 'remove')) === undefined) return;
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw fsError(err, path, 'remove');
  }
}
