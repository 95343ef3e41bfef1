import { describe, expect, it } from 'vitest';
import { runGrpcRotation } from '../src/main.js';

describe('grpc-rotation example', () => {
  it('rotates both identities under calls with none failing; refuses a bad update; the read-once server expires', async () => {
    const lines: string[] = [];
    const result = await runGrpcRotation({
      durationMs: 4_000,
      rotateEveryMs: 700,
      certificateLifetimeMs: 3_000,
      unaryLoops: 4,
      log: (line) => lines.push(line),
    });
    expect(result.failures).toEqual([]);
    expect(result.unaryOk).toBeGreaterThan(20);
    expect(result.streamMessages).toBeGreaterThan(20);
    expect(result.serverGenerations).toBeGreaterThanOrEqual(4);
    // The server saw the client move through its identities, in order.
    expect(result.clientGenerationsSeen.length).toBeGreaterThanOrEqual(3);
    const numbers = result.clientGenerationsSeen.map((cn) => Number(cn.replace('client-g', '')));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(result.refusedUpdate).toBe('ERR_MTLS_KEY_MISMATCH');
    expect(lines.some((l) => l.includes('server refused an update: ERR_MTLS_KEY_MISMATCH'))).toBe(true);
    expect(result.staticServerError).toBe('UNAVAILABLE');
    expect(result.ok).toBe(true);
  }, 60_000);
});
