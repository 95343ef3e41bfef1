import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type EnrollmentStrategy, installTokenEnrollment, MemoryStore } from '@mtlskit/agent';
import { parseCertificates } from '@mtlskit/core';
import { createTestBackend } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

const TOKEN = 'tid.install-token-enrollment-secret';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function server(): Promise<ProtocolServer> {
  const s = await startProtocolServer({ tokens: { [TOKEN]: 'svc' } });
  open.push(s);
  return s;
}

function agent(s: { url: string; caPem: string }, extra: Record<string, unknown> = {}) {
  const a = createAgent({
    backendUrl: s.url,
    trustAnchors: s.caPem,
    serviceName: 'svc',
    store: new MemoryStore(),
    heartbeat: { enabled: false },
    ...extra,
  } as Parameters<typeof createAgent>[0]);
  open.push(a);
  return a;
}

describe('installTokenEnrollment', () => {
  it('maps refused tokens to stable codes', async () => {
    const s = await server();
    await expect(agent(s, { installToken: 'tid.wrong-secret-value' }).start()).rejects.toMatchObject({
      code: 'ERR_MTLS_INSTALL_TOKEN_INVALID',
      details: { status: 401 },
    });
    await expect(agent(s, { installToken: TOKEN, serviceName: 'other' }).start()).rejects.toMatchObject({
      code: 'ERR_MTLS_TOKEN_SCOPE_MISMATCH',
    });
    await expect(agent(s).start()).rejects.toMatchObject({ code: 'ERR_MTLS_INSTALL_TOKEN_MISSING' });
    expect(s.registrations).toHaveLength(0);
  });

  it('reads installTokenFile only when it enrolls, and reports a missing file', async () => {
    const s = await server();
    const dir = await mkdtemp(join(tmpdir(), 'mtlskit-token-'));
    open.push({ close: () => rm(dir, { recursive: true, force: true }) });
    const file = join(dir, 'token');
    // The file does not exist yet when the agent is created.
    const a = agent(s, { installTokenFile: file });
    await writeFile(file, `${TOKEN}\n`);
    expect((await a.start()).generation).toBe(1);
    const missing = agent(s, { installTokenFile: join(dir, 'nope') });
    const err = await missing.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_MTLS_INSTALL_TOKEN_MISSING' });
    expect(String((err as Error).message)).toContain('ENOENT');
  });

  it('client-cert mode registers a self-issued certificate with client_cert_pem', async () => {
    const b = await createTestBackend();
    open.push(b);
    const a = agent(b, {
      installToken: b.mintInstallToken({ serviceName: 'svc' }),
      enrollment: installTokenEnrollment({ mode: 'client-cert' }),
    });
    const creds = await a.start();
    expect(a.strategy).toBe('install-token:client-cert');
    const leaf = parseCertificates(creds.certificateChainPem)[0]!;
    expect(leaf.commonName).toBe('svc');
    const record = b.agents[0]!;
    expect(record.mode).toBe('certificate');
    expect(record.certificateFingerprints).toContain(leaf.fingerprintSha256);
    // Renewal sends a CSR over mTLS with the pinned certificate; the backend signs the new key.
    const renewed = await a.renewNow();
    expect(renewed.generation).toBe(2);
    expect(b.agents[0]!.renewals).toBe(1);
  });

  it('accepts any strategy through the interface and validates what it returns', async () => {
    const s = await server();
    const calls: string[] = [];
    const custom: EnrollmentStrategy = {
      name: 'custom-sign',
      async enroll(ctx) {
        calls.push(`enroll:${ctx.purpose}`);
        expect(ctx.idempotencyKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(ctx.current).toBeUndefined();
        const leaf = await s.ca.issue({ csr: ctx.csrPem, profile: 'client' });
        return { certificateChainPem: leaf.chainPem, serviceId: 'custom-1' };
      },
      async renew(ctx) {
        calls.push(`renew:${ctx.purpose}`);
        await expect(ctx.installToken()).rejects.toMatchObject({ code: 'ERR_MTLS_INVALID_ARGUMENT' });
        expect(ctx.current?.generation).toBe(1);
        // Not for our key: must be refused.
        const other = await s.ca.issue({ subject: { commonName: 'x' }, profile: 'client' });
        return { certificateChainPem: other.chainPem };
      },
    };
    const a = agent(s, { enrollment: custom });
    const first = await a.start();
    expect(a.status().serviceId).toBe('custom-1');
    await expect(a.renewNow()).rejects.toMatchObject({
      code: 'ERR_MTLS_INVALID_RESPONSE',
      details: { reason: 'key-mismatch' },
    });
    expect(a.current()).toBe(first);
    expect(calls).toEqual(['enroll:enroll', 'renew:renew']);
  });
});
