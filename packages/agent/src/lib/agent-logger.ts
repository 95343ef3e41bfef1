import type { Redactor } from './redactor.js';

/** Levels the agent logs at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

type LogFn = (...args: unknown[]) => void;

/** A console- or pino-shaped logger; every method is optional. */
export type LoggerLike = Partial<Record<LogLevel, LogFn>> & { child?: unknown; level?: unknown };

export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/**
 * Wraps a user logger. pino (and bunyan-like) loggers take `(fields, message)`, console takes
 * `(message, fields)`; both get every string and field redacted first. A logger that throws
 * is ignored so logging can never break the agent.
 */
export function createLog(logger: LoggerLike | undefined, redactor: Redactor): Log {
  if (logger === undefined || logger === null) return () => undefined;
  const pinoShaped = typeof logger.child === 'function' && logger.level !== undefined;
  return (level, message, fields) => {
    const fn = logger[level];
    if (typeof fn !== 'function') return;
    const msg = `mtlskit agent: ${redactor.string(message)}`;
    const safe = fields === undefined ? undefined : (redactor.value(fields) as Record<string, unknown>);
    try {
      if (pinoShaped) fn.call(logger, safe ?? {}, msg);
      else if (safe === undefined) fn.call(logger, msg);
      else fn.call(logger, msg, safe);
    } catch {
      // A broken logger must not stop renewals.
    }
  };
}
