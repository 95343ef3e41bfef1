import { describe, expect, it } from 'vitest';
import { runGatewayUpstream } from '../src/main.js';

describe('gateway-upstream example', () => {
  it('forwards every request over mTLS while the gateway client identity rotates underneath', async () => {
    const lines: string[] = [];
    const result = await runGatewayUpstream({
      certificateLifetimeMs: 4_000,
      rotateEveryMs: 1_000,
      rotations: 3,
      concurrency: 3,
      log: (line) => lines.push(line),
    });

    expect(result.failures).toEqual([]);
    expect(result.requestsFailed).toBe(0);
    expect(result.requestsOk).toBeGreaterThan(20);
    expect(result.issuedSerials).toHaveLength(4);
    // The upstream saw each client certificate the gateway held, in the order it held them.
    expect(result.upstreamSawSerials).toEqual(result.issuedSerials);
    expect(result.agentGeneration).toBe(4);
    // Keep-alive pools: at least one connection per identity, far fewer than requests.
    expect(result.upstreamConnections).toBeGreaterThanOrEqual(4);
    expect(result.upstreamConnections).toBeLessThan(result.requestsOk / 2);
    expect(result.ok).toBe(true);
    expect(lines.some((l) => l.includes('gateway client identity → generation 4'))).toBe(true);
  }, 30_000);
});
