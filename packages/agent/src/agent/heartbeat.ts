import { channels } from '../lib/channels.js';
import { readSystemMetrics } from '../lib/system-metrics.js';
import type { AgentRuntime } from './agent-runtime.js';
import { retryDelay } from './retry-delay.js';
import { revoke } from './revocation.js';

type HeartbeatStatus = 'healthy' | 'degraded' | 'unhealthy';

export function scheduleHeartbeat(rt: AgentRuntime, intervalMs: number): void {
  const j = rt.c.heartbeat.jitter;
  const factor = 1 + j * (2 * rt.c.renewal.random() - 1);
  rt.scheduler.schedule('heartbeat', rt.c.clock.now() + Math.max(50, intervalMs * factor));
}

/** One heartbeat over mTLS; never with an expired certificate, never outliving it. */
export async function heartbeat(rt: AgentRuntime): Promise<void> {
  const current = rt.current;
  if (current === undefined || !rt.life.usable) return;
  if (current.notAfter.getTime() <= rt.c.clock.now()) return;
  const hb = rt.c.heartbeat;
  const started = rt.c.clock.now();
  const attempt = rt.backend.attempt([rt.abort.signal], current.notAfter);
  try {
    const status: HeartbeatStatus = (await hb.status?.()) ?? 'healthy';
    const metrics = hb.metrics !== undefined ? await hb.metrics() : await readSystemMetrics(hb.diskPath);
    const body = { agent_id: rt.agentId, status, timestamp: new Date(started).toISOString(), metrics };
    // Reading metrics awaits I/O: the certificate may have expired meanwhile.
    if (current.notAfter.getTime() <= rt.c.clock.now()) return;
    const dispatcher = rt.backend.mtls(current);
    await rt.backend.post(dispatcher, hb.path, body, {
      call: 'heartbeat',
      signal: attempt.signal,
      identityNotAfter: current.notAfter,
    });
    rt.throwIfClosed();
    const at = new Date(rt.c.clock.now());
    rt.lastHeartbeatAt = at;
    rt.counters.heartbeats++;
    rt.heartbeatBackoff.reset();
    channels.heartbeat.publish({ phase: 'success', generation: current.generation, status, at });
    rt.c.log('debug', 'heartbeat sent', { status });
    rt.emit('heartbeat', { at, generation: current.generation, status });
    if (rt.life.usable) scheduleHeartbeat(rt, hb.intervalMs);
  } catch (e) {
    attempt.dispose();
    const err = rt.toError(e, 'heartbeat');
    if (rt.closing !== undefined) return;
    rt.counters.heartbeatFailures++;
    rt.noteError(err);
    channels.heartbeat.publish({ phase: 'failure', generation: current.generation, error: err.toJSON() });
    if (err.code === 'ERR_MTLS_REVOKED') {
      await revoke(rt, err);
      return;
    }
    const delay = Math.min(hb.intervalMs, retryDelay(rt, rt.heartbeatBackoff, err, undefined));
    const nextAttemptAt = new Date(rt.c.clock.now() + delay);
    rt.c.log('warn', 'heartbeat failed', { error: err, nextAttemptAt: nextAttemptAt.toISOString() });
    rt.emit('heartbeat-failed', { attempt: rt.heartbeatBackoff.attempt, nextAttemptAt, cause: err });
    if (rt.life.usable) rt.scheduler.schedule('heartbeat', nextAttemptAt.getTime());
  } finally {
    attempt.dispose();
  }
}
