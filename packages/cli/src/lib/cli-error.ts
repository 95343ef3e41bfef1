import { isMtlsError } from '@mtlskit/core';

/** A usage or input problem: printed as one line, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** One line for any failure: `FILE: what is wrong (ERR_MTLS_…)`, never a stack trace. */
export function describeFailure(e: unknown, file?: string): string {
  const where = file ? `${file}: ` : '';
  if (e instanceof CliError) return `${where}${e.message}`;
  if (isMtlsError(e)) return `${where}${e.message} (${e.code})`;
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string') {
    const known: Record<string, string> = {
      ENOENT: 'no such file',
      EACCES: 'permission denied (check the file mode and owner)',
      EISDIR: 'is a directory, not a file',
      EMFILE: 'too many open files',
    };
    const text = known[err.code];
    if (text) return `${where}${text}`;
    if (err.code.startsWith('ERR_PARSE_ARGS')) return `${where}${String(err.message)}`;
  }
  const message = e instanceof Error ? e.message : String(e);
  return `${where}${message.split('\n')[0]}`;
}

/** Wraps a failure with the file it came from, so the one-line message names it. */
export class FileError extends Error {
  readonly file: string;
  constructor(file: string, cause: unknown) {
    super(describeFailure(cause, file), { cause });
    this.name = 'FileError';
    this.file = file;
  }
}
