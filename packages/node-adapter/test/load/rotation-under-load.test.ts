import { describe, expect, it } from 'vitest';
import { runRotationLoad } from '../helpers/rotation-harness.js';

describe('rotation under load', () => {
  it('rotates server and client credentials every 200 ms under 16 loops and a long stream with 0 failures', async () => {
    const r = await runRotationLoad({ durationMs: 10_000, rotateEveryMs: 200, loops: 16 });
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.tlsClientErrors).toBe(0);
    expect(r.uncleanSockets).toBe(0);
    expect(r.openSocketsAtEnd).toBe(0);
    expect(r.streamExact).toBe(true);
    expect(r.streamReceivedBytes).toBe(r.streamExpectedBytes);
    expect(r.identityMismatches).toBe(0);
    // the load was real: many swaps, many connections, many requests. Each swap issues a new
    // key and certificate first, so a busy box (two test files at a time on 2 cores) gets
    // fewer than the 50 a quiet one does; 20 is still a swap every half second.
    expect(r.clientSwaps).toBeGreaterThanOrEqual(20);
    expect(r.serverSwaps).toBeGreaterThanOrEqual(20);
    expect(r.connections).toBeGreaterThan(r.clientSwaps);
    expect(r.requests).toBeGreaterThanOrEqual(16 * 5);
    expect(r.acceptedSockets).toBe(r.connections);
    console.log(
      `rotation load: ${r.requests} requests, ${r.connections} connections, ${r.acceptedSockets} accepted, ${r.clientSwaps}+${r.serverSwaps} swaps`,
    );
  }, 60_000);
});
