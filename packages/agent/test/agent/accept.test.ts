// Finding 1 and 7 of issue 13: what a renewal or registration answer must be before it is
// installed and persisted. Real node:https backend (test/lib/protocol-server.ts), fake time.
import { createCertificateAuthority } from '@mtlskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSetup, toNextRenewal } from '../lib/agent-setup.js';
import { nextEvent } from '../lib/helpers.js';

const env = agentSetup();
afterEach(() => env.closeAll());

describe('accept: a renewal the agent cannot use as a TLS client is refused, not stored', () => {
  const unusable: [string, Record<string, unknown>, string][] = [
    ['serverAuth only', { profile: 'server' }, 'no-client-auth'],
    ['codeSigning only', { profile: 'client', extendedKeyUsage: ['codeSigning'] }, 'no-client-auth'],
    ['CA:TRUE', { profile: 'ca' }, 'ca-certificate'],
    ['keyEncipherment-only key usage', { profile: 'client', keyUsage: ['keyEncipherment'] }, 'key-usage'],
  ];
  for (const [name, issue, reason] of unusable) {
    it(`refuses a ${name} certificate and keeps generation 1 in memory and in the store`, async () => {
      const s = await env.setup();
      const first = await s.agent.start();
      s.server.faults.set('renew', [
        {
          replace: async (real, request) => {
            const bad = await s.server.ca.issue({
              csr: String(request['csr_pem']),
              subject: { commonName: 'svc' },
              notBefore: new Date(s.clock.now() - 60_000),
              notAfter: new Date(s.clock.now() + 3_600_000),
              ...issue,
            });
            return { ...real, certificate_pem: bad.chainPem };
          },
        },
      ]);
      const failed = nextEvent(s.agent, 'renewal-failed');
      await toNextRenewal(s);
      const f = await failed;
      expect(f.cause.code).toBe('ERR_MTLS_INVALID_RESPONSE');
      expect(f.cause.details?.['reason']).toBe(reason);
      expect(s.agent.current()).toBe(first);
      expect((await s.store.load())?.generation).toBe(1);
      expect(s.store.generations).toEqual([1]);
    });
  }

  it('refuses a renewal for another identity (CN)', async () => {
    const s = await env.setup();
    await s.agent.start();
    s.server.faults.set('renew', [
      {
        replace: async (real, request) => {
          const other = await s.server.ca.issue({
            csr: String(request['csr_pem']),
            subject: { commonName: 'someone-else' },
            profile: 'client',
            notBefore: new Date(s.clock.now() - 60_000),
            notAfter: new Date(s.clock.now() + 3_600_000),
          });
          return { ...real, certificate_pem: other.chainPem };
        },
      },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    expect((await failed).cause.details?.['reason']).toBe('identity-mismatch');
    expect((await s.store.load())?.generation).toBe(1);
  });
});

describe('accept: ca_pem is validated before it becomes the trust anchors', () => {
  it('refuses a register answer whose ca_pem is not a certificate; nothing is stored', async () => {
    const s = await env.setup();
    s.server.faults.set('register', [
      { replace: (real) => ({ ...real, ca_pem: 'not a certificate at all' }) },
    ]);
    await expect(s.agent.start()).rejects.toMatchObject({
      code: 'ERR_MTLS_INVALID_RESPONSE',
      details: { reason: 'bad-ca' },
    });
    expect(await s.store.load()).toBeUndefined();
  });

  it('refuses a ca_pem that is a leaf (CA:FALSE) or under which the issued chain does not verify', async () => {
    const s = await env.setup();
    const other = await createCertificateAuthority({ subject: { commonName: 'Unrelated CA' } });
    const leaf = await s.server.ca.issue({ subject: { commonName: 'x' }, profile: 'client' });
    s.server.faults.set('register', [
      { replace: (real) => ({ ...real, ca_pem: leaf.certificatePem }) },
      { replace: (real) => ({ ...real, ca_pem: other.certificatePem }) },
    ]);
    await expect(s.agent.start()).rejects.toMatchObject({ details: { reason: 'bad-ca' } });
    await expect(s.agent.start()).rejects.toMatchObject({ details: { reason: 'bad-ca' } });
    expect(await s.store.load()).toBeUndefined();
    // The honest answer still enrolls.
    expect((await s.agent.start()).generation).toBe(1);
  });

  it('on renew, refuses a changed bundle that neither verifies the backend nor is signed by the old anchors', async () => {
    const s = await env.setup();
    const first = await s.agent.start();
    const rogue = await createCertificateAuthority({ subject: { commonName: 'Rogue CA' } });
    s.server.faults.set('renew', [
      // The issued chain verifies (the backend's CA is kept), but a rogue root is added.
      { replace: (real) => ({ ...real, ca_pem: `${s.server.caPem}${rogue.certificatePem}` }) },
    ]);
    const failed = nextEvent(s.agent, 'renewal-failed');
    await toNextRenewal(s);
    const f = await failed;
    expect(f.cause.details?.['reason']).toBe('trust-bundle-change');
    expect(s.agent.current()).toBe(first);
  });

  it('on renew, accepts an added anchor that the current anchors signed (a rollover)', async () => {
    const s = await env.setup();
    await s.agent.start();
    const extra = await s.server.ca.issue({ subject: { commonName: 'Next CA' }, profile: 'ca' });
    s.server.faults.set('renew', [
      { replace: (real) => ({ ...real, ca_pem: `${extra.certificatePem}${s.server.caPem}` }) },
    ]);
    const renewed = nextEvent(s.agent, 'renewed');
    await toNextRenewal(s);
    expect((await renewed).credentials.trustAnchorsPem).toContain(extra.certificatePem.trim());
  });
});
