import { expect } from 'vitest';
import { runRotationScenario, type ScenarioResult } from './rotation-scenario.js';

/**
 * The "must show": both sides rotate every 500 ms for 20 s under 8 unary loops and
 * one long server stream (20 s, so it needs certificates that outlive it: 25 s).
 */
export async function mustShowRotation(label: string): Promise<ScenarioResult> {
  const r = await runRotationScenario({
    durationMs: 20_000,
    serverRotateEveryMs: 500,
    clientRotateEveryMs: 500,
    serverLifetimeMs: 25_000,
    clientLifetimeMs: 25_000,
    unaryLoops: 8,
    streamMs: 20_000,
  });
  console.log(
    `${label}: ${r.unaryOk} unary RPCs ok, ${r.unaryFailed.length} failed; ${r.streamsOk} stream(s) ok with ${r.streamMessages} messages, ${r.streamsFailed.length} failed; ` +
      `server gens ${r.serverGenerations}, client gens ${r.clientGenerations}, client identities seen by the server ${r.clientIdentitiesSeen}; ${r.connections} connections, ${r.pastNotAfter.length} past notAfter`,
  );
  expect(r.unaryFailed).toEqual([]);
  expect(r.streamsFailed).toEqual([]);
  expect(r.streamsOk).toBe(1);
  // One message every 50 ms for 20 s: fewer when timers lag on a loaded machine.
  expect(r.streamMessages).toBeGreaterThan(100);
  expect(r.unaryOk).toBeGreaterThan(100);
  expect(r.clientIdentitiesSeen).toBeGreaterThanOrEqual(20);
  expect(r.pastNotAfter).toEqual([]);
  expect(r.credentialErrors).toEqual([]);
  return r;
}
