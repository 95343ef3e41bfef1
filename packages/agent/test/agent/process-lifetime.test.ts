// Finding 5 (timers keep the process alive) and finding 6 (one agent per stateDir) of
// issue 13, with real processes: the agent runs in its own Node process, the node:https
// backend in this one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AgentChild, startAgentChild } from '../lib/child.js';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

const TOKEN = 'tokid.very-secret-install-token-0001';
const work = mkdtempSync(join(tmpdir(), 'mtlskit-agent-proc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const children: AgentChild[] = [];
const servers: ProtocolServer[] = [];
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  for (const s of servers.splice(0)) await s.close();
});

async function backend(): Promise<ProtocolServer> {
  const s = await startProtocolServer({
    tokens: { [TOKEN]: 'svc' },
    reusableTokens: true,
    lifetimeMs: 3_600_000,
  });
  servers.push(s);
  return s;
}

function child(server: ProtocolServer, stateDir: string, extra: Record<string, unknown> = {}): AgentChild {
  const c = startAgentChild({
    backendUrl: server.url,
    trustAnchors: server.caPem,
    installToken: TOKEN,
    stateDir,
    ...extra,
  });
  children.push(c);
  return c;
}

describe('a started agent keeps its process alive', () => {
  it('stays alive after start() (it has renewals to do), and exits on its own with keepProcessAlive: false', async () => {
    const server = await backend();
    const alive = child(server, join(work, 'alive'));
    expect(await alive.line('started', 20_000)).toBe('started 1');
    expect(await alive.exitedWithin(1500)).toBeUndefined();
    const optOut = child(server, join(work, 'opt-out'), { keepProcessAlive: false });
    expect(await optOut.line('started', 20_000)).toBe('started 1');
    expect(await optOut.exitedWithin(10_000)).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('stays alive while waiting to retry enrollment (no silent exit 13)', async () => {
    const server = await backend();
    server.faults.set(
      'register',
      Array.from({ length: 100 }, () => ({ status: 503 })),
    );
    const c = child(server, join(work, 'retrying'));
    expect(await c.line('enrollment-failed', 20_000)).toBe('enrollment-failed ERR_MTLS_SERVER_UNAVAILABLE');
    expect(await c.exitedWithin(1500)).toBeUndefined();
    server.faults.set('register', []);
    expect(await c.line('started', 20_000)).toBe('started 1');
  }, 60_000);
});

describe('one agent per stateDir', () => {
  it('a second process fails fast with ERR_MTLS_STATE_LOCKED; after the owner is SIGKILLed a new one starts', async () => {
    const server = await backend();
    const dir = join(work, 'shared');
    const first = child(server, dir);
    expect(await first.line('started', 20_000)).toBe('started 1');
    const second = child(server, dir);
    const t0 = Date.now();
    expect(await second.line('error', 20_000)).toBe('error ERR_MTLS_STATE_LOCKED');
    expect((await second.exited).code).toBe(3);
    // Fail fast: no waiting for the other agent (child start-up excluded by measuring from the spawn is generous).
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Only the first agent enrolled: the second never reached the backend.
    expect(server.registrations).toHaveLength(1);
    first.proc.kill('SIGKILL');
    await first.exited;
    const third = child(server, dir);
    // The dead owner's lock is taken over at once, and the stored identity is used (no new registration).
    expect(await third.line('started', 20_000)).toBe('started 1');
    expect(server.registrations).toHaveLength(1);
  }, 90_000);
});
