import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { json, run, workDir } from '../helpers/run.js';

/** shared/limbo sits next to the repository in CI and at /work/shared here: walk up to find it. */
function findSuite(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'limbo', 'limbo-public.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('shared/limbo/limbo-public.json not found above the test file');
    dir = parent;
  }
}

describe('mtlskit limbo', () => {
  const suitePath = findSuite();
  const suite = JSON.parse(readFileSync(suitePath, 'utf8')) as {
    testcases: { id: string; expected_result: string }[];
  };

  it('runs the public suite from a file and writes results in the harness format', async () => {
    const r = await run(['limbo', suitePath]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const body = json<{
      version: number;
      harness: string;
      results: { id: string; actual_result: string; context: unknown }[];
    }>(r.stdout);
    expect(body.version).toBe(1);
    expect(typeof body.harness).toBe('string');
    expect(body.results.map((x) => x.id)).toEqual(suite.testcases.map((t) => t.id));
    for (const x of body.results) expect(['SUCCESS', 'FAILURE', 'SKIPPED']).toContain(x.actual_result);
    const agree = body.results.filter(
      (x, i) => x.actual_result === suite.testcases[i]!.expected_result,
    ).length;
    expect(agree).toBeGreaterThan(suite.testcases.length / 2);
  }, 120_000);

  it('reads the suite from stdin', async () => {
    const one = { version: 1, testcases: suite.testcases.slice(0, 2) };
    const r = await run(['limbo'], { stdin: JSON.stringify(one) });
    expect(r.code).toBe(0);
    expect(json(r.stdout).results).toHaveLength(2);
  }, 60_000);

  it('exits 2 only when the input cannot be read as a suite', async () => {
    const w = await workDir();
    try {
      expect((await run(['limbo'], { stdin: 'not json' })).code).toBe(2);
      const r = await run(['limbo', await w.file('x.json', '{"testcases": 3}')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('x.json');
      expect((await run(['limbo', `${w.dir}/missing.json`])).stderr).toContain('no such file');
    } finally {
      await w.cleanup();
    }
  });
});
