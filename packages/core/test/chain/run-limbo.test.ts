import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type LimboSuite, runLimbo, runLimboCase } from '../../src/chain/run-limbo.js';

// shared/ sits next to the repository in CI (../shared) and in this workspace (/work/shared).
function findLimbo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'shared', 'limbo', 'limbo-public.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../../../../shared/limbo/limbo-public.json', import.meta.url));
}

const suite = JSON.parse(readFileSync(findLimbo(), 'utf8')) as LimboSuite;

describe('runLimbo on shared/limbo/limbo-public.json', () => {
  it('agrees with the expected result on at least 78 of 81 cases, each under 1 s', async () => {
    expect(suite.testcases.length).toBe(81);
    let agree = 0;
    const divergent: string[] = [];
    for (const tc of suite.testcases) {
      const t0 = performance.now();
      const r = await runLimboCase(tc);
      const ms = performance.now() - t0;
      expect(ms, `${tc.id} took ${ms.toFixed(0)} ms`).toBeLessThan(1000);
      if (r.actual_result === tc.expected_result) agree++;
      else divergent.push(`${tc.id}: ${r.context}`);
    }
    expect(agree, divergent.join('\n')).toBeGreaterThanOrEqual(78);
  }, 60_000);

  it('writes the harness format with a context for every result', async () => {
    const small: LimboSuite = { version: 1, testcases: suite.testcases.slice(0, 5) };
    const out = await runLimbo(small);
    expect(out.version).toBe(1);
    expect(out.harness).toBe('mtlskit');
    expect(out.results.map((r) => r.id)).toEqual(small.testcases.map((t) => t.id));
    for (const r of out.results) {
      expect(['SUCCESS', 'FAILURE', 'SKIPPED']).toContain(r.actual_result);
      expect(r.context.length).toBeGreaterThan(0);
    }
  });

  it('skips no testcase: policy features run, and the profile follows validation_kind only', async () => {
    const tc = suite.testcases.find((t) => t.id === 'webpki::cn::case-mismatch')!;
    const asServer = await runLimboCase({ ...tc, features: ['has-cert-policies'] });
    expect(asServer.actual_result).toBe('FAILURE');
    expect(asServer.context).toMatch(/CA\/B BR 7\.1\.4\.3/);
    // The same chain as a CLIENT case is held to RFC 5280 only, whatever the id says.
    const asClient = await runLimboCase({
      ...tc,
      id: 'webpki::x',
      validation_kind: 'CLIENT',
      extended_key_usage: [],
    });
    expect(asClient.context).not.toMatch(/CA\/B BR/);
  });

  it('refuses something that is not a suite with ERR_MTLS_INVALID_ARGUMENT', async () => {
    await expect(runLimbo({} as never)).rejects.toMatchObject({ code: 'ERR_MTLS_INVALID_ARGUMENT' });
  });
});
