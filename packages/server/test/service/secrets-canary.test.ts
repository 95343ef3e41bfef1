import { inspect } from 'node:util';
import { createCertificateAuthority } from '@mtlskit/core';
import { createRegistrationService, type RequestLogEntry } from '@mtlskit/server';
import { describe, expect, it } from 'vitest';
import { call } from '../../../testkit/test/support/call.js';
import { newIdentity, registerBody } from '../../../testkit/test/support/identity.js';
import { serverIdentity, startReplica } from '../support/replica.js';

describe('secrets stay out of inspect, JSON, events and answers', () => {
  it('admin token, install tokens and allocation tokens never show', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'canary CA' } });
    const admin = 'canary-admin-0123456789';
    const bare = createRegistrationService({ issuer: ca, adminToken: admin });
    expect(inspect(bare, { depth: 5 })).not.toContain(admin);
    expect(JSON.stringify(bare)).not.toContain(admin);
    await bare.close();

    const r = await startReplica(ca, await serverIdentity(ca), { adminToken: admin });
    const events: unknown[] = [];
    for (const e of [
      'request',
      'registered',
      'renewed',
      'heartbeat',
      'revoked',
      'allocated',
      'store-error',
    ] as const)
      r.service.on(e, (p: RequestLogEntry | unknown) => events.push(p));
    try {
      const { token } = await r.service.mintInstallToken({ serviceName: 'billing' });
      const secret = token.split('.')[1]!;
      const alloc = await r.service.addAllocationToken({ owner: 'alice' });
      const id = await newIdentity();
      const answers = [
        await call(`${r.url}/api/v1/register`, {
          ca: ca.certificatePem,
          body: registerBody(token, id),
          headers: { 'idempotency-key': id.idempotencyKey },
        }),
        await call(`${r.url}/api/v1/register`, {
          ca: ca.certificatePem,
          body: registerBody(`${token}x`, id),
          headers: { 'idempotency-key': id.idempotencyKey },
        }),
        await call(`${r.url}/api/v1/worker/allocate`, {
          ca: ca.certificatePem,
          body: { poolName: 'p', namespace: 'n' },
          headers: { authorization: `Bearer ${alloc}` },
        }),
        await call(`${r.url}/api/v1/install-tokens`, {
          ca: ca.certificatePem,
          body: { service_name: 'b', service_type: 'agent' },
          headers: { authorization: `Bearer ${admin}x` },
        }),
      ];
      expect(answers.map((a) => a.status)).toEqual([201, 401, 200, 401]);
      const seen = [
        JSON.stringify(events),
        inspect(events, { depth: 5 }),
        ...answers.map((a) => a.text),
      ].join('\n');
      for (const s of [admin, secret, alloc.split('.')[1]!]) expect(seen).not.toContain(s);
      expect(events.length).toBeGreaterThanOrEqual(6);
    } finally {
      await r.close();
    }
  });
});
