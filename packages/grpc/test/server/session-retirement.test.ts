import { describe, expect, it } from 'vitest';
import { runRotationScenario } from '../helpers/rotation-scenario.js';

describe('connections retire before a certificate on them expires', () => {
  it('a static server drains each connection before the client certificate on it expires', async () => {
    // The server identity never changes: only the expiry timer moves clients to new identities.
    const r = await runRotationScenario({
      durationMs: 6_000,
      serverRotateEveryMs: undefined,
      clientRotateEveryMs: 500,
      serverLifetimeMs: 60_000,
      // Drained 500 ms and cut 250 ms before notAfter: streams of 80 ms finish in between,
      // even on a loaded machine.
      clientLifetimeMs: 4_000,
      unaryLoops: 8,
      streamMs: 80,
      streamEveryMs: 20,
    });
    expect(r.unaryFailed).toEqual([]);
    expect(r.streamsFailed).toEqual([]);
    expect(r.pastNotAfter).toEqual([]);
    // The first connection was drained before its client certificate expired (~3.5 s in) and
    // the channel came back with a newer one.
    expect(r.clientIdentitiesSeen).toBeGreaterThanOrEqual(2);
    expect(r.connections).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('a stream longer than the certificates on its connection is cut before they expire', async () => {
    const r = await runRotationScenario({
      durationMs: 2_500,
      serverRotateEveryMs: undefined,
      clientRotateEveryMs: undefined,
      serverLifetimeMs: 60_000,
      clientLifetimeMs: 1_500,
      unaryLoops: 0,
      streamMs: 2_500,
    });
    // No TLS connection can change its certificates: the stream ends instead of the connection
    // carrying an expired certificate.
    expect(r.streamsFailed.length).toBeGreaterThanOrEqual(1);
    expect(r.pastNotAfter).toEqual([]);
  }, 60_000);
});
