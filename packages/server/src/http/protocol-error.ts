import { STATUS_CODES } from 'node:http';

/**
 * An error answer of the protocol: `{error, message, code}` with an HTTP status
 * (docs/protocol.md lists every status and code). With `retryAfterMs` the answer carries
 * `Retry-After` (whole seconds, rounded up) and the same number as `retry_after`.
 *
 * @example
 * ```ts
 * throw new ProtocolError(429, 'RATE_LIMITED', 'Too many requests: retry after 2 s.', { retryAfterMs: 2000 });
 * ```
 */
export class ProtocolError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable machine code, e.g. `INVALID_INSTALL_TOKEN`. */
  readonly code: string;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra body fields. */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
      retryAfterMs?: number;
    } = {},
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.status = status;
    this.code = code;
    const headers = { ...options.headers };
    const extra = { ...options.extra };
    if (options.retryAfterMs !== undefined) {
      const seconds = Math.max(0, Math.ceil(options.retryAfterMs / 1000));
      headers['retry-after'] = String(seconds);
      extra['retry_after'] = seconds;
    }
    this.headers = headers;
    this.extra = extra;
  }

  /** The JSON body of the answer. */
  body(): Record<string, unknown> {
    return {
      error: STATUS_CODES[this.status] ?? 'Error',
      message: this.message,
      code: this.code,
      ...this.extra,
    };
  }
}
