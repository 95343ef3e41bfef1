/**
 * Stable error codes of mtlskit. Codes are never renamed; new ones are only added.
 *
 * @example
 * ```ts
 * import { isMtlsError } from '@mtlskit/core';
 * try { parseCertificate(text); } catch (e) {
 *   if (isMtlsError(e) && e.code === 'ERR_MTLS_PEM_MALFORMED') console.error(e.message);
 * }
 * ```
 */
export type MtlsErrorCode = `ERR_MTLS_${string}`;

/** Options accepted by {@link MtlsError}. */
export interface MtlsErrorOptions {
  /** The underlying failure (a dependency's error, a system error). */
  cause?: unknown;
  /** Extra, non-secret facts for programs (e.g. `{ retryAfterMs: 5000 }`). */
  details?: Readonly<Record<string, unknown>>;
}

const BRAND = Symbol.for('mtlskit.MtlsError');

/**
 * The one error base of mtlskit: every failure the SDK raises is an `MtlsError` with a
 * stable `code` (`ERR_MTLS_…`), a message that says what to do, and the original failure
 * as `cause`. Messages never contain secrets (keys, tokens).
 *
 * @example
 * ```ts
 * throw new MtlsError('ERR_MTLS_KEY_MISMATCH', 'The private key does not belong to the certificate.');
 * ```
 */
export class MtlsError extends Error {
  /** The stable error code, e.g. `ERR_MTLS_PEM_MALFORMED`. */
  readonly code: MtlsErrorCode;
  /** Extra, non-secret facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: MtlsErrorCode, message: string, options: MtlsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MtlsError';
    this.code = code;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A JSON form with the code, message and details (never the cause's internals). */
  toJSON(): {
    name: string;
    code: MtlsErrorCode;
    message: string;
    details?: Readonly<Record<string, unknown>>;
  } {
    return this.details === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Whether `value` is an {@link MtlsError}, also across copies of the package (ESM and CJS
 * builds loaded side by side).
 *
 * @example
 * ```ts
 * if (isMtlsError(err)) console.log(err.code);
 * ```
 */
export function isMtlsError(value: unknown): value is MtlsError {
  return value instanceof MtlsError || (typeof value === 'object' && value !== null && BRAND in value);
}
