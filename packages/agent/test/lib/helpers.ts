import type { AgentEvents, MtlsAgent } from '@mtlskit/agent';

/** Resolves with the next `event` of `agent` (real time), failing after `timeoutMs`. */
export function nextEvent<K extends keyof AgentEvents>(
  agent: MtlsAgent,
  event: K,
  timeoutMs = 15_000,
): Promise<AgentEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      agent.off(event, on as never);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const on = (p: AgentEvents[K]): void => {
      clearTimeout(timer);
      agent.off(event, on as never);
      resolve(p);
    };
    agent.on(event, on as never);
  });
}

/** Polls `check` in real time until it returns true. */
export async function waitFor(check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records every event of an agent, in order. */
export function recordEvents(agent: MtlsAgent): { name: string; payload: unknown }[] {
  const out: { name: string; payload: unknown }[] = [];
  const names: (keyof AgentEvents)[] = [
    'update',
    'error',
    'enrolled',
    'enrollment-failed',
    'renewed',
    'renewal-failed',
    'expiring',
    'expired',
    'heartbeat',
    'heartbeat-failed',
    'revoked',
    'reenrollment-required',
    'state',
  ];
  for (const n of names) agent.on(n, (payload: unknown) => out.push({ name: n, payload }));
  return out;
}
