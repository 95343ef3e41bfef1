// Finding 12 of issue 13: loose modes are fixed or reported, never silently.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type MtlsAgent } from '@mtlskit/agent';
import type { MtlsError } from '@mtlskit/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

const TOKEN = 'tokid.very-secret-install-token-0001';
const work = mkdtempSync(join(tmpdir(), 'mtlskit-agent-perm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function agentOn(
  server: ProtocolServer,
  options: { stateDir: string; installTokenFile?: string },
): { agent: MtlsAgent; warnings: MtlsError[]; logged: string[] } {
  const warnings: MtlsError[] = [];
  const logged: string[] = [];
  const agent = createAgent({
    backendUrl: server.url,
    trustAnchors: server.caPem,
    serviceName: 'svc',
    heartbeat: { enabled: false },
    logger: { warn: (m: unknown) => logged.push(String(m)) },
    ...(options.installTokenFile === undefined ? { installToken: TOKEN } : {}),
    ...options,
  });
  agent.on('warning', (w) => warnings.push(w));
  open.push(agent);
  return { agent, warnings, logged };
}

describe('permissions are reported (warning event and log line)', () => {
  it('a loosened key.pem is tightened and reported', async () => {
    const server = await startProtocolServer({ tokens: { [TOKEN]: 'svc' } });
    open.push(server);
    const stateDir = join(work, 'key');
    const a = agentOn(server, { stateDir });
    await a.agent.start();
    await a.agent.close();
    const key = join(stateDir, 'gen-1', 'key.pem');
    chmodSync(key, 0o644);
    const b = agentOn(server, { stateDir });
    await b.agent.start();
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(b.warnings.map((w) => w.code)).toContain('ERR_MTLS_STORAGE_PERMISSIONS');
    expect(b.logged.some((l) => l.includes('key.pem') && l.includes('644'))).toBe(true);
  });

  it('a 0644 install token file and a 0777 parent directory are reported', async () => {
    const server = await startProtocolServer({ tokens: { [TOKEN]: 'svc' } });
    open.push(server);
    const shared = join(work, 'world-writable');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const tokenFile = join(shared, 'install-token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const a = agentOn(server, { stateDir: join(shared, 'state'), installTokenFile: tokenFile });
    await a.agent.start();
    const messages = a.warnings
      .filter((w) => w.code === 'ERR_MTLS_INSECURE_PERMISSIONS')
      .map((w) => w.message);
    expect(messages.some((m) => m.includes(tokenFile) && m.includes('644'))).toBe(true);
    expect(messages.some((m) => m.includes(shared) && m.includes('777'))).toBe(true);
    expect(a.logged.length).toBeGreaterThanOrEqual(2);
    // The token itself never appears in a warning.
    expect(messages.join('\n')).not.toContain('very-secret');
  });
});
