import { MtlsError } from '@mtlskit/core';

/** The codes a credential store raises (and reports through `onWarning`). */
export type StorageErrorCode =
  | 'ERR_MTLS_STORAGE'
  | 'ERR_MTLS_STORAGE_SYMLINK'
  | 'ERR_MTLS_STORAGE_HARDLINK'
  | 'ERR_MTLS_STORAGE_PERMISSIONS'
  | 'ERR_MTLS_STORAGE_CORRUPT'
  | 'ERR_MTLS_STORAGE_KEY_MISMATCH'
  | 'ERR_MTLS_STORAGE_GENERATION'
  | 'ERR_MTLS_STORAGE_INVALID'
  | 'ERR_MTLS_STORAGE_RECOVERED'
  | 'ERR_MTLS_STATE_LOCKED';

export function storageError(
  code: StorageErrorCode,
  message: string,
  path?: string,
  cause?: unknown,
  details: Record<string, unknown> = {},
): MtlsError {
  return new MtlsError(code, message, {
    ...(cause === undefined ? {} : { cause: scrubCause(cause) }),
    details: path === undefined ? details : { path, ...details },
  });
}

/**
 * Node's fs errors carry only paths and syscalls, but anything else (a parser error that
 * quotes its input) could carry key text, so only fs errors and MtlsErrors are kept as cause.
 */
function scrubCause(cause: unknown): unknown {
  if (cause instanceof MtlsError) return cause;
  if (cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string') {
    const e = cause as NodeJS.ErrnoException;
    if (typeof e.syscall === 'string') return cause;
  }
  return cause instanceof Error ? new Error(cause.name) : undefined;
}

/** Turns a failed file-system call into a coded error that names the path and what to do. */
export function fsError(err: unknown, path: string, doing: string): MtlsError {
  if (err instanceof MtlsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ELOOP':
      return storageError(
        'ERR_MTLS_STORAGE_SYMLINK',
        `Refused to ${doing} ${path}: it is a symbolic link, and the credential store never follows links it did not create. Remove the link; if it was not yours, someone else can write to the state directory.`,
        path,
        err,
      );
    case 'EACCES':
    case 'EPERM':
      return storageError(
        'ERR_MTLS_STORAGE_PERMISSIONS',
        `Permission denied to ${doing} ${path}: run the agent as the user that owns the state directory, or fix its ownership (chown) and mode (0700).`,
        path,
        err,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return storageError(
        'ERR_MTLS_STORAGE',
        `No space left to ${doing} ${path}: free disk space or quota; the previous identity stays current.`,
        path,
        err,
      );
    case 'EROFS':
      return storageError(
        'ERR_MTLS_STORAGE',
        `Cannot ${doing} ${path}: the file system is read-only. Point stateDir at a writable, persistent directory.`,
        path,
        err,
      );
    default:
      return storageError(
        'ERR_MTLS_STORAGE',
        `Failed to ${doing} ${path}${code ? ` (${code})` : ''}: check that the state directory is a local, writable directory owned by this user.`,
        path,
        err,
      );
  }
}
