import { describe, expect, it } from 'vitest';
import { runKubernetesSecretVolume } from '../src/main.js';

describe('kubernetes-secret-volume example', () => {
  it('reloads three ..data symlink swaps in a row and serves each one, where a plain file watch sees only the first', async () => {
    const lines: string[] = [];
    const result = await runKubernetesSecretVolume({
      swaps: 3,
      swapEveryMs: 300,
      pollIntervalMs: 600_000,
      log: (line) => lines.push(line),
    });

    expect(result.sourceErrors).toEqual([]);
    expect(result.swaps.map((s) => s.generation)).toEqual([2, 3, 4]);
    for (const swap of result.swaps) {
      expect(swap.dataDir).toMatch(/^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/);
      // A real handshake after the reload shows the certificate of this swap.
      expect(swap.servedSerial).toBe(swap.writtenSerial);
      // Polling is 10 minutes: only the directory watch explains a reload this fast.
      expect(swap.reloadMs).toBeLessThan(5_000);
    }
    expect(new Set(result.swaps.map((s) => s.dataDir)).size).toBe(3);
    expect(result.swaps[0]!.plainWatchEvents).toBeGreaterThan(0);
    expect(result.swaps.slice(1).map((s) => s.plainWatchEvents)).toEqual([0, 0]);
    expect(result.ok).toBe(true);
    expect(lines.filter((l) => /swap \d: \.\.data →/.test(l))).toHaveLength(3);
  }, 30_000);
});
