import { describe, expect, it } from 'vitest';
import { runAllocationGateway } from '../src/main.js';

describe('allocation-gateway example', () => {
  it('admits the alloc:<token> certificate, refuses the plain /api/v1/cert one, and doctor names the cause', async () => {
    const lines: string[] = [];
    const result = await runAllocationGateway({ log: (line) => lines.push(line) });

    expect(result.allocatedCommonName).toMatch(/^alloc:[A-Za-z0-9_-]+$/);
    expect(result.allocatedResponse?.status).toBe(200);
    expect(JSON.parse(result.allocatedResponse!.body)).toEqual({
      allocation: result.allocatedCommonName!.slice('alloc:'.length),
      pool: 'gpu',
    });

    // Same token, plain endpoint: a valid, trusted certificate the gateway still refuses.
    expect(result.plainCommonName).toBe('team-ml');
    expect(result.refusedByGateway).toEqual(['team-ml']);
    expect(result.plainRefusal).toBe('ERR_MTLS_PEER_REJECTED_CERTIFICATE');

    expect(result.doctorPlain.exitCode).toBe(1);
    expect(result.doctorPlain.findings.map((f) => f.code)).toEqual(['COMMON_NAME_MISMATCH']);
    expect(result.doctorPlain.findings[0]!.severity).toBe('error');
    expect(result.doctorPlain.findings[0]!.fix).toContain('/api/v1/worker/allocate');
    expect(result.doctorPlain.text).toContain('COMMON_NAME_MISMATCH');
    expect(result.doctorPlain.text).toContain('"alloc:*" is expected');
    expect(result.doctorPlain.text).not.toContain('PRIVATE KEY');

    expect(result.doctorAllocated.exitCode).toBe(0);
    expect(result.doctorAllocated.findings.map((f) => f.code)).toEqual(['OK']);
    expect(result.ok).toBe(true);
    expect(lines.some((l) => l.includes('mtlskit doctor --cert plain.crt'))).toBe(true);
  }, 30_000);
});
