import { describe, expect, it } from 'vitest';
import { runHotReloadServer } from '../src/main.js';

describe('hot-reload-server example', () => {
  it('serves every certificate written to disk without a restart, while the read-once server expires', async () => {
    const lines: string[] = [];
    const result = await runHotReloadServer({
      certificateLifetimeMs: 4_000,
      rotateEveryMs: 1_000,
      rotations: 3,
      requestIntervalMs: 50,
      log: (line) => lines.push(line),
    });

    expect(result.failures).toEqual([]);
    expect(result.requestsFailed).toBe(0);
    expect(result.requestsOk).toBeGreaterThan(10);
    expect(result.writtenSerials).toHaveLength(4);
    // The client saw the server certificate change to each new file, in order, in its own handshakes.
    const norm = (s: string) => s.replace(/^0+/, '').toLowerCase();
    expect(result.servedSerials.map(norm)).toEqual(result.writtenSerials.map(norm));
    expect(result.swaps).toBe(4);
    // No restart: one `listening`, the same port from start to end.
    expect(result.listenEvents).toBe(1);
    expect(result.portAtEnd).toBe(result.portAtStart);
    // The control server read the first files once: after their lifetime, clients refuse it.
    expect(result.staticServerError).toBe('CERT_HAS_EXPIRED');
    expect(result.ok).toBe(true);
    expect(lines.some((l) => l.includes('server swapped to generation 4'))).toBe(true);
  }, 30_000);
});
