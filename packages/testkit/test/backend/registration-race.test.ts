import { Agent } from 'node:https';
import { createTestBackend, type TestBackend } from '@mtlskit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, call } from '../support/call.js';
import { newIdentity, registerBody, type TestIdentity } from '../support/identity.js';

const PARALLEL = 50;

// 50 keys are made once and reused in every round: each round only needs a fresh token.
describe('50 parallel registrations with one install token', () => {
  let pool: TestIdentity[];
  beforeAll(async () => {
    pool = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => newIdentity(`racer-${i}`)));
  });

  async function rounds(backend: TestBackend, count: number, agent: Agent) {
    const send = (token: string, id: TestIdentity, i: number): Promise<CallResult> =>
      call(`${backend.url}/api/v1/register`, {
        ca: backend.caPem,
        agent,
        body: registerBody(token, id, { metadata: { agent_id: `racer-${i}` } }),
        headers: { 'idempotency-key': id.idempotencyKey },
      });
    const unknown = await send(`${'0'.repeat(16)}.unknown`, pool[0]!, 0);
    const results: { winners: number; losers: CallResult[] }[] = [];
    for (let round = 0; round < count; round++) {
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const answers = await Promise.all(pool.map((id, i) => send(token, id, i)));
      results.push({
        winners: answers.filter((r) => r.status === 201).length,
        losers: answers.filter((r) => r.status !== 201),
      });
    }
    return { unknown, results };
  }

  it('100 rounds (tokenReuse "invalid"): exactly one 201 per round, every other answer is the unknown-token answer', async () => {
    const backend = await createTestBackend({ tokenReuse: 'invalid' });
    const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL, ca: backend.caPem });
    try {
      const { unknown, results } = await rounds(backend, 100, agent);
      expect(unknown.status).toBe(401);
      expect(unknown.json.message).toBe('Invalid or expired install token');
      for (const r of results) {
        expect(r.winners).toBe(1);
        expect(r.losers).toHaveLength(PARALLEL - 1);
        for (const l of r.losers) {
          expect(l.status).toBe(unknown.status);
          expect(l.text).toBe(unknown.text);
        }
      }
      expect(backend.registrations).toBe(100);
      expect(backend.agents).toHaveLength(100);
      expect(backend.installTokens.every((t) => t.used)).toBe(true);
    } finally {
      agent.destroy();
      await backend.close();
    }
  }, 120_000);

  it('20 rounds with the default 409: exactly one 201 per round, the others one identical 409', async () => {
    const backend = await createTestBackend();
    const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL, ca: backend.caPem });
    try {
      const { results } = await rounds(backend, 20, agent);
      const texts = new Set<string>();
      for (const r of results) {
        expect(r.winners).toBe(1);
        for (const l of r.losers) {
          expect(l.status).toBe(409);
          texts.add(l.text);
        }
      }
      expect(texts.size).toBe(1);
      expect(backend.registrations).toBe(20);
    } finally {
      agent.destroy();
      await backend.close();
    }
  }, 60_000);

  it('the same key sent 50 times in parallel gets 50 times the same 201 and registers once', async () => {
    const backend = await createTestBackend();
    const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL, ca: backend.caPem });
    try {
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const id = pool[0]!;
      const answers = await Promise.all(
        pool.map(() =>
          call(`${backend.url}/api/v1/register`, {
            ca: backend.caPem,
            agent,
            body: registerBody(token, id),
            headers: { 'idempotency-key': id.idempotencyKey },
          }),
        ),
      );
      expect(answers.every((r) => r.status === 201)).toBe(true);
      expect(new Set(answers.map((r) => r.text)).size).toBe(1);
      expect(backend.registrations).toBe(1);
    } finally {
      agent.destroy();
      await backend.close();
    }
  });
});
