// Finding 8 of issue 13: Retry-After wins unless it would miss the deadline; retries never
// come faster than once a second, even in the last seconds before expiry.
import { afterEach, describe, expect, it } from 'vitest';
import { agentSetup, toNextRenewal } from '../lib/agent-setup.js';
import { nextEvent } from '../lib/helpers.js';

const env = agentSetup();
afterEach(() => env.closeAll());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retry delays near expiry', () => {
  it('does not hammer the backend in the last seconds (floor 1 s)', async () => {
    const s = await env.setup({
      server: { lifetimeMs: 60_000 },
      agent: { renewal: { jitter: 0, random: () => 0 } },
    });
    const first = await s.agent.start();
    s.server.faults.set(
      'renew',
      Array.from({ length: 1000 }, () => ({ status: 503 })),
    );
    const attempts: number[] = [];
    s.agent.on('renewal-failed', () => attempts.push(s.clock.now()));
    await toNextRenewal(s);
    const end = first.notAfter.getTime();
    while (s.clock.now() < end) {
      await s.clock.advanceAsync(50);
      await pause(8);
    }
    const last = (ms: number) => attempts.filter((t) => t > end - ms).length;
    expect(attempts.length).toBeGreaterThan(3);
    expect(last(7_500)).toBeLessThanOrEqual(8);
    expect(last(500)).toBeLessThanOrEqual(1);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  }, 60_000);

  it('Retry-After wins over the expiry cap when the retry still fits before notAfter', async () => {
    const s = await env.setup({ server: { lifetimeMs: 60_000 } });
    const first = await s.agent.start();
    s.server.faults.set('renew', [{ status: 429, headers: { 'retry-after': '15' } }]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    const f = await failed;
    const left = first.notAfter.getTime() - s.clock.now();
    expect(left).toBeGreaterThan(15_000);
    // The old cap (10% of the ~20 s left) would have retried after 2 s.
    expect(f.nextRetryAt.getTime() - s.clock.now()).toBeGreaterThanOrEqual(15_000);
  });

  it('a Retry-After past notAfter falls back to backoff within the time left', async () => {
    const s = await env.setup({ server: { lifetimeMs: 60_000 } });
    const first = await s.agent.start();
    s.server.faults.set('renew', [{ status: 429, headers: { 'retry-after': '600' } }]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    const f = await failed;
    expect(f.nextRetryAt.getTime()).toBeLessThan(first.notAfter.getTime());
    expect(f.nextRetryAt.getTime() - s.clock.now()).toBeGreaterThanOrEqual(1000);
  });
});
