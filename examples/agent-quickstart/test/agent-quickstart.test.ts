import { describe, expect, it } from 'vitest';
import { runAgentQuickstart } from '../src/main.js';

describe('agent-quickstart example', () => {
  it('registers once with the install token, heartbeats over mTLS and renews three times', async () => {
    const lines: string[] = [];
    const result = await runAgentQuickstart({
      certificateLifetimeMs: 3_000,
      renewals: 3,
      heartbeatIntervalMs: 500,
      timeoutMs: 20_000,
      log: (line) => lines.push(line),
    });

    expect(result.errors).toEqual([]);
    expect(result.registrations).toBe(1);
    expect(result.installTokenUsed).toBe(true);
    expect(result.renewals).toBeGreaterThanOrEqual(3);
    // The backend saw the renewals and heartbeats: they arrived over mTLS with our certificates.
    expect(result.backendRenewals).toBe(result.renewals);
    expect(result.backendHeartbeats).toBeGreaterThan(0);
    expect(result.generations.map((g) => g.generation)).toEqual(
      Array.from({ length: result.renewals + 1 }, (_, i) => i + 1),
    );
    expect(new Set(result.generations.map((g) => g.serialNumber)).size).toBe(result.generations.length);
    for (let i = 1; i < result.generations.length; i++) {
      expect(result.generations[i]!.notAfter.getTime()).toBeGreaterThan(
        result.generations[i - 1]!.notAfter.getTime(),
      );
    }
    expect(result.finalState).toBe('closed');
    expect(result.ok).toBe(true);
    expect(lines.some((l) => l.includes('enrolled as service'))).toBe(true);
    expect(lines.filter((l) => l.includes('renewed: generation')).length).toBe(result.renewals);
  }, 30_000);
});
