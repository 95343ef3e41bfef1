import { MtlsError } from '@mtlskit/core';
import type { AgentRuntime } from './agent-runtime.js';
import { runEnrollment } from './enrollment.js';

export function onExpiring(rt: AgentRuntime): void {
  const c = rt.current;
  if (c === undefined || rt.expiringSent === c.generation || !rt.life.usable) return;
  rt.expiringSent = c.generation;
  const remainingMs = c.notAfter.getTime() - rt.c.clock.now();
  rt.c.log('warn', 'the identity is about to expire and was not renewed yet', {
    notAfter: c.notAfter.toISOString(),
    remainingMs,
  });
  rt.emit('expiring', { generation: c.generation, notAfter: c.notAfter, remainingMs });
}

/**
 * At notAfter, whatever is in flight: the renewal under way is abandoned (it cannot succeed
 * with an expired certificate), the state becomes `expired` and the recovery ladder starts.
 */
export function onExpired(rt: AgentRuntime): void {
  const c = rt.current;
  if (c === undefined || rt.life.final) return;
  if (c.notAfter.getTime() > rt.c.clock.now()) {
    rt.scheduler.schedule('expired', c.notAfter.getTime());
    return;
  }
  if (rt.life.state === 'expired' || rt.life.state === 'enrolling') return;
  const err = new MtlsError(
    'ERR_MTLS_IDENTITY_EXPIRED',
    `The agent's certificate (generation ${c.generation}) expired at ${c.notAfter.toISOString()} before a renewal succeeded; see the renewal-failed events for why.`,
    { details: { generation: c.generation, notAfter: c.notAfter.toISOString() } },
  );
  rt.scheduler.cancel('renew', 'heartbeat', 'expiring');
  rt.life.set('expired');
  rt.renewAttempt?.abort(err);
  rt.noteError(err);
  rt.requiredAction = rt.canEnrollAgain()
    ? rt.c.renewal.reenrollOnExpiry
      ? 'The agent is enrolling again with the configured install token; if that is refused, mint a new install token.'
      : 'Re-enrollment on expiry is off (renewal.reenrollOnExpiry): restart the agent to enroll again, or mint a new install token.'
    : 'Mint a new install token for this service and set installToken / installTokenFile, then restart the agent.';
  rt.c.log('error', 'the identity expired', { notAfter: c.notAfter.toISOString() });
  rt.emit('expired', { generation: c.generation, notAfter: c.notAfter });
  rt.emit('error', err);
  rt.wakeUpdates();
  if (rt.c.renewal.reenrollOnExpiry && rt.canEnrollAgain()) {
    rt.track(runEnrollment(rt, 'reenroll').catch(() => undefined));
    return;
  }
  rt.emit('reenrollment-required', {
    reason: rt.canEnrollAgain() ? 'reenroll-on-expiry-disabled' : 'expired-without-install-token',
    cause: err,
  });
}
