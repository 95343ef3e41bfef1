// The root scripts as a user runs them from a clone: `npx -y pnpm@10 mtlskit …` and
// `npx -y pnpm@10 demo …`, started from a subfolder with paths relative to it.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When each stdout line arrived, and when the process exited (ms since start). */
  lineAt: Map<string, number>;
  exitAt: number;
}

function pnpm(args: string[], cwd: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // A user's shell: none of the npm_* / INIT_CWD variables an outer `pnpm test` sets.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k) && k !== 'INIT_CWD'),
    );
    const child = spawn('npx', ['-y', 'pnpm@10', ...args], { cwd, env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lineAt = new Map<string, number>();
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (!lineAt.has(l)) lineAt.set(l, Date.now() - started);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, lineAt, exitAt: Date.now() - started }));
  });
}

describe('root scripts from a subfolder of the clone', () => {
  let dir: string;
  beforeAll(async () => {
    // .tmp/ is git-ignored and inside the workspace: pnpm finds the root package.json from here.
    await mkdir(join(repo, '.tmp'), { recursive: true });
    dir = await mkdtemp(join(repo, '.tmp', 'root-scripts-'));
    const ca = await createCertificateAuthority({ subject: { commonName: 'Relative CA' } });
    await writeFile(join(dir, 'ca.pem'), ca.certificatePem);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('`pnpm mtlskit inspect ca.pem` reads the file relative to where the user stands', async () => {
    const r = await pnpm(['mtlskit', 'inspect', 'ca.pem', '--json'], dir);
    expect(r.stderr).not.toMatch(/ERR|no such file/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CN=Relative CA');
  }, 60_000);

  it('`pnpm demo -- --duration 2` runs, and the process exits right after the summary', async () => {
    const r = await pnpm(['demo', '--', '--duration', '2'], dir);
    expect(r.stderr).not.toContain('Unexpected argument');
    expect(r.code).toBe(0);
    const okAt = r.lineAt.get('Demo OK: no request failed.');
    expect(okAt).toBeDefined();
    // A forgotten timer kept the process alive 5 s after the summary.
    expect(r.exitAt - okAt!).toBeLessThan(2_000);
  }, 90_000);
});
