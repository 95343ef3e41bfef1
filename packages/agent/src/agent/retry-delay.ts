import type { Backoff, MtlsError } from '@mtlskit/core';
import { retryAfterOf } from '../lib/backend-errors.js';
import type { AgentRuntime } from './agent-runtime.js';

/** No retry comes sooner than this: a backend in trouble is not hammered, even near expiry. */
export const MIN_RETRY_MS = 1000;

/**
 * The wait before the next attempt. A server's `Retry-After` wins whenever the retry it
 * asks for still happens before `notAfter`; otherwise (and without one) exponential backoff
 * with full jitter, capped at a share of the time left. Never below {@link MIN_RETRY_MS}.
 */
export function retryDelay(
  rt: AgentRuntime,
  backoff: Backoff,
  err: MtlsError,
  notAfter: Date | undefined,
): number {
  const now = rt.c.clock.now();
  const retryAfter = retryAfterOf(err);
  const computed = backoff.next({ retryAfter });
  if (retryAfter !== undefined && (notAfter === undefined || now + retryAfter < notAfter.getTime())) {
    return Math.max(MIN_RETRY_MS, retryAfter);
  }
  return Math.max(MIN_RETRY_MS, computed);
}
