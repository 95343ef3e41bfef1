import { request } from 'node:https';
import { createCertificateAuthority } from '@mtlskit/core';
import type { RequestLogEntry } from '@mtlskit/server';
import { describe, expect, it } from 'vitest';
import { serverIdentity, startReplica } from '../support/replica.js';

describe('a client that goes away mid-upload', () => {
  it('is logged as dropped, not as an internal error, and the service keeps serving', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'abort CA' } });
    const r = await startReplica(ca, await serverIdentity(ca));
    const log: RequestLogEntry[] = [];
    r.service.on('request', (e) => log.push(e));
    try {
      await new Promise<void>((resolve) => {
        const req = request(`${r.url}/api/v1/register`, {
          method: 'POST',
          ca: ca.certificatePem,
          headers: { 'content-type': 'application/json', 'content-length': 1000 },
        });
        req.on('error', () => resolve());
        req.write('{"install_token":');
        setTimeout(() => req.destroy(), 100);
      });
      const deadline = Date.now() + 5000;
      while (log.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ route: 'register', status: 0, dropped: true });
      expect(r.internalErrors).toEqual([]);
    } finally {
      await r.close();
    }
  });
});
