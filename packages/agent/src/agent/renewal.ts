import type { Credentials } from '@mtlskit/core';
import { isRetryable } from '../lib/backend-errors.js';
import { channels } from '../lib/channels.js';
import { acceptResult } from './accept.js';
import { type AgentRuntime, abortedError } from './agent-runtime.js';
import { context, pendingKey } from './enrollment.js';
import { retryDelay } from './retry-delay.js';
import { revoke } from './revocation.js';

/** Starts a renewal (one at a time); `signal` aborts this attempt. */
export function startRenewal(rt: AgentRuntime, signal?: AbortSignal): Promise<Credentials> {
  const p = renew(rt, signal).finally(() => {
    rt.renewing = undefined;
  });
  rt.renewing = p;
  // renewNow() callers get the rejection; the scheduler must not see an unhandled one.
  rt.track(p.catch(() => undefined));
  return p;
}

async function renew(rt: AgentRuntime, signal: AbortSignal | undefined): Promise<Credentials> {
  const previous = rt.current!;
  const strategy = rt.c.strategy;
  rt.life.set('renewing');
  channels.renewal.publish({ phase: 'start', strategy: strategy.name, generation: previous.generation });
  // The call never outlives the certificate it presents.
  const attempt = rt.backend.attempt([rt.abort.signal, signal], previous.notAfter);
  rt.renewAttempt = attempt;
  try {
    const { key, keyPem, agentId } = await pendingKey(rt, 'renew');
    const ctx = await context(rt, 'renew', key, agentId, attempt);
    const result = await strategy.renew(ctx);
    rt.throwIfClosed();
    if (signal?.aborted) throw abortedError('renewNow()', signal.reason);
    if (rt.life.final) throw expiredMeanwhile(rt);
    const credentials = await acceptResult(rt, result, keyPem, 'renew');
    rt.counters.renewals++;
    rt.lastRenewalAt = new Date(rt.c.clock.now());
    rt.renewBackoff.reset();
    channels.renewal.publish({
      phase: 'success',
      strategy: strategy.name,
      generation: credentials.generation,
      notAfter: credentials.notAfter,
    });
    rt.c.log('info', 'renewed', {
      generation: credentials.generation,
      notAfter: credentials.notAfter.toISOString(),
    });
    rt.emit('renewed', { credentials, previousGeneration: previous.generation });
    return credentials;
  } catch (e) {
    attempt.dispose();
    const err =
      signal?.aborted === true && !rt.abort.signal.aborted
        ? abortedError('renewNow()', signal.reason)
        : rt.toError(e, 'renewal');
    rt.counters.renewalFailures++;
    rt.noteError(err);
    channels.renewal.publish({ phase: 'failure', strategy: strategy.name, error: err.toJSON() });
    if (rt.closing !== undefined) throw err;
    if (err.code === 'ERR_MTLS_REVOKED') {
      await revoke(rt, err);
      throw err;
    }
    if (rt.life.state === 'renewing') rt.life.set('active');
    if (!rt.life.usable) throw err; // expired meanwhile: the expiry task took over
    const now = rt.c.clock.now();
    const notAfter = rt.current?.notAfter ?? new Date(now);
    if (now >= notAfter.getTime()) {
      rt.scheduler.schedule('expired', now);
      throw err;
    }
    const delay = retryDelay(rt, rt.renewBackoff, err, notAfter);
    const nextRetryAt = new Date(now + delay);
    if (nextRetryAt.getTime() >= notAfter.getTime()) {
      // No useful retry is left before expiry; the expiry task reports it on time.
      rt.c.log('warn', 'renewal failed; no retry fits before expiry', { error: err });
      rt.emit('renewal-failed', { attempt: rt.renewBackoff.attempt, nextRetryAt: notAfter, cause: err });
      throw err;
    }
    rt.c.log('warn', 'renewal failed; retrying', { error: err, nextRetryAt: nextRetryAt.toISOString() });
    if (!isRetryable(err) && err.code !== 'ERR_MTLS_ABORTED') rt.emit('error', err);
    rt.emit('renewal-failed', { attempt: rt.renewBackoff.attempt, nextRetryAt, cause: err });
    rt.scheduler.schedule('renew', nextRetryAt.getTime());
    throw err;
  } finally {
    attempt.dispose();
    if (rt.renewAttempt === attempt) rt.renewAttempt = undefined;
  }
}

function expiredMeanwhile(rt: AgentRuntime): Error {
  return new Error(`the identity is no longer usable (state "${rt.life.state}")`);
}
