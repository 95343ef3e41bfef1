import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAgent, MemoryStore } from '@mtlskit/agent';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../server/test/support/redis-server.js';
import { run, workDir } from '../helpers/run.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts `mtlskit serve` as its own process (tsx on the sources) and waits for its banner. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'packages/cli/src/bin.ts'), 'serve', ...args],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  const deadline = Date.now() + 20_000;
  while (!/Stop with Ctrl-C/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`mtlskit serve did not start: ${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (https:\/\/\S+)/.exec(stdout)![1]!;
  const token = /install token:\s+(\S+)/.exec(stdout)![1]!;
  return { child, url, token, exited, output: () => ({ stdout, stderr }) };
}

describe('mtlskit serve', () => {
  it('serves on Redis: prints a first install token an agent enrolls with, and stops on SIGTERM', async () => {
    const redis: RedisServer = await startRedisServer();
    cleanups.push(() => redis.close());
    const w = await workDir();
    cleanups.push(() => w.cleanup());
    expect((await run(['gen', 'ca', '--out', w.dir])).code).toBe(0);
    const s = await serve(
      [
        '--ca-cert',
        join(w.dir, 'ca.crt'),
        '--ca-key',
        join(w.dir, 'ca.key'),
        '--redis',
        redis.url,
        '--listen',
        '127.0.0.1:0',
        '--lifetime',
        '60',
      ],
      { MTLSKIT_ADMIN_TOKEN: 'admin-token-for-the-test' },
    );
    expect(s.token).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(s.output().stdout).not.toContain('admin-token-for-the-test');
    const agent = createAgent({
      backendUrl: s.url,
      trustAnchors: await readFile(join(w.dir, 'ca.crt'), 'utf8'),
      serviceName: 'demo',
      installToken: s.token,
      store: new MemoryStore(),
      heartbeat: { enabled: false },
    });
    cleanups.push(() => agent.close());
    const creds = await agent.start();
    expect(creds.notAfter.getTime() - creds.notBefore.getTime()).toBeLessThanOrEqual(70_000);
    await agent.close();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output().stdout).toContain('mtlskit serve: stopped.');
  }, 60_000);

  it('says what is wrong with a missing CA or a bad --listen, exit code 2', async () => {
    const noCa = await run(['serve', '--ca-key', 'x.key']);
    expect(noCa.code).toBe(2);
    expect(noCa.stderr).toMatch(/--ca-cert and --ca-key are required/);
    const badListen = await run(['serve', '--ca-cert', 'a', '--ca-key', 'b', '--listen', 'nope']);
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toMatch(/--listen "nope" must be HOST:PORT/);
    const redis = await run(['serve', '--ca-cert', 'a', '--ca-key', 'b', '--redis', 'http://u:secret@x']);
    expect(redis.code).toBe(2);
    expect(redis.stderr).not.toContain('secret');
    const missing = await run([
      'serve',
      '--ca-cert',
      '/nonexistent/ca.crt',
      '--ca-key',
      '/nonexistent/ca.key',
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the CA certificate/);
  });
});
