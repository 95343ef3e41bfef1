import { runDemo } from '@mtlskit/cli';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';

describe('the demo', () => {
  it('enrolls, renews at least three times under load with no failed request, and ends revoked', async () => {
    const events: string[] = [];
    const statuses: number[] = [];
    const summary = await runDemo({
      durationMs: 11_000,
      certificateLifetimeMs: 4_000,
      serverRotationMs: 2_500,
      concurrency: 3,
      onEvent: (line) => events.push(line),
      onStatus: (s) => statuses.push(s.generation),
    });
    expect(summary.failures).toEqual([]);
    expect(summary.requestsFailed).toBe(0);
    expect(summary.requestsOk).toBeGreaterThan(50);
    expect(summary.renewals).toBeGreaterThanOrEqual(3);
    expect(summary.clientGenerationsSeenByServer).toBeGreaterThanOrEqual(3);
    expect(summary.serverGenerations).toBeGreaterThanOrEqual(3);
    expect(summary.heartbeats).toBeGreaterThan(0);
    expect(summary.registrations).toBe(1);
    expect(summary.revoked).toBe(true);
    expect(summary.ok).toBe(true);
    expect(events.some((e) => /enrolled as service/.test(e))).toBe(true);
    expect(events.some((e) => /revoked by the backend/.test(e))).toBe(true);
    // The install token is shown truncated only.
    expect(events.find((e) => /install token minted/.test(e))).toMatch(/minted: \w{6}… /);
    expect(Math.max(...statuses)).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('mtlskit demo --json prints the summary and exits 0', async () => {
    const r = await run(['demo', '--duration', '3', '--json']);
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout) as { ok: boolean; requestsOk: number; requestsFailed: number };
    expect(summary).toMatchObject({ ok: true, requestsFailed: 0 });
    expect(summary.requestsOk).toBeGreaterThan(0);
    expect(r.code).toBe(0);
    expect((await run(['demo', '--duration', 'soon'])).code).toBe(2);
  }, 60_000);
});
