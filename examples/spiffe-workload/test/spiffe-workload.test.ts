import { describe, expect, it } from 'vitest';
import { BILLING_ID, FRONTEND_ID, runSpiffeWorkload } from '../src/main.js';

describe('spiffe-workload example', () => {
  it('two workloads on rotating SVIDs talk by SPIFFE ID, an impostor is refused, a JWT-SVID validates', async () => {
    const lines: string[] = [];
    const r = await runSpiffeWorkload({ durationMs: 3_500, rotateEveryMs: 1_000, log: (l) => lines.push(l) });
    expect(r.failures).toEqual([]);
    // Throughput depends on the machine; what matters is no failure across the rotations.
    expect(r.requestsOk).toBeGreaterThanOrEqual(3);
    expect(r.clientGenerations).toBeGreaterThanOrEqual(3);
    expect(r.serverGenerations).toBeGreaterThanOrEqual(3);
    expect(r.clientSvidsSeenByServer).toBeGreaterThanOrEqual(3);
    expect(r.serverSvidsSeenByClient).toBeGreaterThanOrEqual(3);
    expect(r.clientIdsSeenByServer).toEqual([FRONTEND_ID]);
    expect(r.impostorError).toBe('ERR_MTLS_SERVER_NOT_AUTHORIZED');
    expect(r.jwtSubject).toBe(FRONTEND_ID);
    expect(r.ok).toBe(true);
    expect(lines.some((l) => l.includes(`billing SVID generation 3 (${BILLING_ID}`))).toBe(true);
  }, 30_000);
});
