import { inspect } from 'node:util';
import { createCertificateAuthority } from '@mtlskit/core';
import { createTestBackend } from '@mtlskit/testkit';
import { describe, expect, it } from 'vitest';
import { call } from '../support/call.js';
import { heartbeatBody, newIdentity, registerBody } from '../support/identity.js';

describe('secrets never leak (canaries)', () => {
  it('admin token, install tokens, allocation tokens and keys appear in no inspect, JSON, log or error answer', async () => {
    const ADMIN = 'CANARY-ADMIN-7f3a9c1e5b';
    const ALLOC = 'alloctok.CANARY-ALLOC-SECRET-42';
    const ca = await createCertificateAuthority();
    const caKeyBody = (await ca.privateKeyPem()).split('\n')[1]!;
    const backend = await createTestBackend({
      ca,
      adminToken: ADMIN,
      allocationTokens: [{ token: ALLOC, owner: 'o' }],
    });
    try {
      const a = await newIdentity();
      const token = backend.mintInstallToken({ serviceName: 'billing' });
      const tokenSecret = token.split('.')[1]!;
      const answers: string[] = [];
      const send = async (
        path: string,
        body: unknown,
        headers: Record<string, string> = {},
        cert?: string,
      ) => {
        const r = await call(`${backend.url}${path}`, {
          ca: backend.caPem,
          body,
          headers,
          cert,
          key: cert ? a.keyPem : undefined,
        });
        answers.push(r.text, JSON.stringify(r.headers));
        return r;
      };
      const idem = { 'idempotency-key': a.idempotencyKey };
      await send('/api/v1/register', registerBody(token, a, { service_name: 'other' }), idem);
      await send('/api/v1/register', registerBody(`${token}x`, a), idem);
      await send('/api/v1/register', registerBody(token, a, { csr_pem: 'bad' }), idem);
      const reg = await send('/api/v1/register', registerBody(token, a), idem);
      await send('/api/v1/register', registerBody(token, a), { 'idempotency-key': 'nope' });
      await send(
        '/api/v1/install-tokens',
        { service_name: 'x', service_type: 'agent' },
        { authorization: `Bearer ${ADMIN}x` },
      );
      await send('/api/v1/worker/allocate', { poolName: 'p' }, { authorization: `Bearer ${ALLOC}` });
      await send(
        '/api/v1/worker/allocate',
        { poolName: 'p', namespace: 'n' },
        { authorization: `Bearer ${ALLOC}x` },
      );
      await send('/api/v1/agent/heartbeat', heartbeatBody(), {}, reg.json.certificate_pem);
      backend.faults.rateLimit('renew');
      await send('/api/v1/renew', { csr_pem: a.csrPem }, {}, reg.json.certificate_pem);

      const keyBody = a.keyPem.split('\n')[1]!;
      const surfaces = [
        inspect(backend, { showHidden: true, depth: 20, getters: true }),
        inspect(backend.faults, { showHidden: true, depth: 20 }),
        JSON.stringify(backend),
        JSON.stringify(backend.requests),
        JSON.stringify(backend.agents),
        JSON.stringify(backend.installTokens),
        JSON.stringify(backend.allocations),
        inspect(backend.agents, { depth: 20 }),
        inspect(backend.installTokens, { depth: 20 }),
        JSON.stringify(backend.internalErrors),
        ...answers,
      ];
      for (const s of surfaces) {
        expect(s).not.toContain(ADMIN);
        expect(s).not.toContain(tokenSecret);
        expect(s).not.toContain('CANARY-ALLOC-SECRET');
        expect(s).not.toContain(keyBody);
        expect(s).not.toContain(caKeyBody);
        expect(s).not.toContain('PRIVATE KEY');
      }
      expect(inspect(backend)).toContain('[redacted]');
      expect(backend.adminToken).toBe(ADMIN);
      expect(backend.caPem).toBe(ca.certificatePem);
      expect(backend.requests.length).toBeGreaterThanOrEqual(10);
      expect(backend.internalErrors).toHaveLength(0);
    } finally {
      await backend.close();
    }
  });
});
