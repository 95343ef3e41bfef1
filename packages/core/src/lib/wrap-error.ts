import { MtlsError, type MtlsErrorCode } from '../errors/mtls-error.js';

/** Re-throws `error` as an MtlsError with `code`, keeping an MtlsError as it is. */
export function wrapError(error: unknown, code: MtlsErrorCode, message: string): MtlsError {
  if (error instanceof MtlsError) return error;
  return new MtlsError(code, message, { cause: error });
}
