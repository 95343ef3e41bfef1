// docs/getting-started.md, followed from a scratch folder outside the repository: pack the
// packages, `npm install` the tarballs, run the guide's code against the reference backend,
// and the command line from the tarball (`npx mtlskit …`, and `npm install -g`).
import { type SpawnOptions, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtIsCurrent, repoRoot } from '../../../../scripts/built-is-current.mjs';
import { extractBlocks } from '../../../../scripts/check-doc-blocks.js';

interface Ran {
  code: number | null;
  out: string;
}

/**
 * The environment of a user's shell: without the npm_* / pnpm_* variables `pnpm test` sets
 * for its scripts (npm warns about pnpm's settings it does not know).
 */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k) && k !== 'INIT_CWD'),
);

function sh(command: string, cwd: string, options: SpawnOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      ...options,
      env: { ...userEnv, NO_COLOR: '1', npm_config_update_notifier: 'false', ...options.env },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The ```sh / ```ts blocks of the guide, in order. */
function blocks(markdown: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm');
  for (const m of markdown.matchAll(re)) out.push(m[1]!);
  return out;
}

describe('docs/getting-started.md from a scratch folder', () => {
  let guide: string;
  let scratch: string;
  let packed: string;

  beforeAll(async () => {
    guide = await readFile(join(repoRoot, 'docs', 'getting-started.md'), 'utf8');
    scratch = await mkdtemp(join(tmpdir(), 'mtlskit-getting-started-'));
    // Step 1 in the clone: `pnpm pack:all`. When every package's dist/ is current (CI builds
    // before it tests) only the pack half runs, into a folder of this test's own.
    packed = join(scratch, 'dist-packages');
    const pnpm = 'npx -y pnpm@10';
    const pack = builtIsCurrent()
      ? await sh(`${pnpm} -r --filter "./packages/*" pack --pack-destination "${packed}"`, repoRoot)
      : await sh(`${pnpm} pack:all && mkdir -p "${packed}" && cp dist-packages/*.tgz "${packed}"/`, repoRoot);
    expect(pack.code, pack.out).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('step 1 says the packages are not on npm and shows the tarball installs', () => {
    expect(guide).toMatch(/not on npm yet/);
    const install = blocks(guide, 'sh')[0]!;
    expect(install).toContain('npx -y pnpm@10 pack:all');
    expect(install).toContain('npm install <clone>/dist-packages/*.tgz');
    expect(guide).toContain('npm install -g <clone>/dist-packages/*.tgz');
    expect(guide).toContain('npm pkg set type=module');
  });

  it('installs the tarballs, runs step 3 against the reference backend, and the CLI from the tarball', async () => {
    const project = join(scratch, 'my-service');
    await mkdir(project);
    // npm 11's `npm init -y` writes "type": "commonjs"; the guide says to switch to ESM.
    const init = await sh('npm init -y >/dev/null && npm pkg set type=module', project);
    expect(init.code, init.out).toBe(0);
    // The install line of the guide, with <clone>/dist-packages pointing at the packed tarballs.
    const line = blocks(guide, 'sh')[0]!
      .split('\n')
      .find((l) => l.startsWith('npm install <clone>/dist-packages/*.tgz'))!
      .replace(/#.*$/, '')
      .replace('<clone>/dist-packages', packed);
    const install = await sh(`${line} --no-audit --no-fund`, project);
    expect(install.code, install.out).toBe(0);
    const installed = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies)).toEqual(
      expect.arrayContaining(['@mtlskit/agent', '@mtlskit/core', '@mtlskit/testkit', '@mtlskit/cli']),
    );

    // Step 3, verbatim, as try.ts run with tsx (the repository's tsx: no second download).
    const step3 = extractBlocks('docs/getting-started.md', guide).find((b) =>
      b.code.includes('createTestBackend({ certificateLifetimeMs'),
    )!.code;
    await writeFile(join(project, 'try.ts'), step3);
    await writeFile(join(project, 'try.mjs'), step3);
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const run = await sh(`"${process.execPath}" "${tsx}" try.ts`, project);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('enrolling -> active');
    expect(run.out).toMatch(/enrolled until \d{4}-/);
    expect(run.out).toMatch(/renewed, generation [2-9]/);
    // "It is plain JavaScript too": node accepts the same code as an ES module.
    expect((await sh(`"${process.execPath}" --check try.mjs`, project)).code).toBe(0);
    const stateDir = /identity stored in (\S+)/.exec(run.out)![1]!;

    // The CLI from the tarball, as step 3 shows it.
    const version = await sh('npx mtlskit --version', project);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const inspect = await sh(`npx mtlskit inspect ${stateDir}/current/chain.pem`, project);
    expect(inspect.code, inspect.out).toBe(0);
    expect(inspect.out).toContain('CN=billing-worker');
    const doctor = await sh(
      `npx mtlskit doctor --cert ${stateDir}/current/chain.pem --key ${stateDir}/current/key.pem --ca ${stateDir}/current/trust-anchors.pem --json`,
      project,
    );
    const report = JSON.parse(doctor.out) as { findings: { code: string }[] };
    // Key, chain and CA all fit; a 10 s certificate may be close to (or past) its end by now.
    expect(
      report.findings.map((f) => f.code).filter((c) => !['OK', 'EXPIRING_SOON', 'EXPIRED'].includes(c)),
    ).toEqual([]);

    // The packages' CommonJS builds, for projects that stay CommonJS.
    const cjs = await sh(
      `"${process.execPath}" -e "const a = require('@mtlskit/agent'); const t = require('@mtlskit/testkit'); console.log(typeof a.createAgent, typeof t.createTestBackend)"`,
      project,
    );
    expect(cjs.out.trim()).toBe('function function');
    await rm(stateDir, { recursive: true, force: true });
  }, 300_000);

  it('`npm install -g` of the tarballs puts a working mtlskit on the PATH', async () => {
    const prefix = join(scratch, 'global');
    const install = await sh(
      `npm install -g --prefix "${prefix}" "${packed}"/*.tgz --no-audit --no-fund`,
      scratch,
    );
    expect(install.code, install.out).toBe(0);
    const pem = join(scratch, 'ca.pem');
    const { createCertificateAuthority } = await import('@mtlskit/core');
    await writeFile(
      pem,
      (await createCertificateAuthority({ subject: { commonName: 'Global CA' } })).certificatePem,
    );
    const r = await sh('mtlskit inspect ca.pem', scratch, {
      env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('CN=Global CA');
    // In a global install every package is its own top-level folder: node-adapter must find
    // undici (its peer) by itself, which the demo (agent → dispatcher) exercises.
    const demo = await sh('mtlskit demo --duration 3 --json', scratch, {
      env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
    });
    expect(demo.code, demo.out).toBe(0);
    const summary = JSON.parse(demo.out.slice(demo.out.indexOf('{'), demo.out.lastIndexOf('}') + 1));
    expect(summary.requestsFailed, demo.out).toBe(0);
    expect(summary.requestsOk, demo.out).toBeGreaterThan(0);
  }, 180_000);

  it('the CLI tarball with core alone: inspect works, demo and serve say what to install', async () => {
    const project = join(scratch, 'cli-only');
    await mkdir(project);
    const init = await sh('npm init -y >/dev/null', project);
    expect(init.code, init.out).toBe(0);
    const tarballs = (await readdir(packed)).filter((f) => /^mtlskit-(cli|core)-.*\.tgz$/.test(f));
    expect(tarballs).toHaveLength(2);
    const install = await sh(
      `npm install ${tarballs.map((f) => `"${join(packed, f)}"`).join(' ')} --no-audit --no-fund`,
      project,
    );
    expect(install.code, install.out).toBe(0);
    const installed = await readdir(join(project, 'node_modules', '@mtlskit'));
    expect(installed.sort()).toEqual(['cli', 'core']);
    const { createCertificateAuthority } = await import('@mtlskit/core');
    await writeFile(
      join(project, 'ca.pem'),
      (await createCertificateAuthority({ subject: { commonName: 'Lean CA' } })).certificatePem,
    );
    const inspect = await sh('npx mtlskit inspect ca.pem', project);
    expect(inspect.code, inspect.out).toBe(0);
    expect(inspect.out).toContain('CN=Lean CA');
    const demo = await sh('npx mtlskit demo --duration 1', project);
    expect(demo.code, demo.out).toBe(2);
    expect(demo.out).toContain('npm install @mtlskit/agent @mtlskit/node-adapter @mtlskit/testkit');
    expect(demo.out).not.toMatch(/\n\s+at /); // one line, no stack trace
    const serve = await sh('npx mtlskit serve --ca-cert ca.pem --ca-key ca.pem', project);
    expect(serve.code, serve.out).toBe(2);
    expect(serve.out).toContain('npm install @mtlskit/server');
  }, 120_000);

  it('`mtlskit inspect` loads neither the agent nor undici nor the server (lazy commands)', async () => {
    const bin = join(repoRoot, 'packages', 'cli', 'dist', 'bin.js');
    const staticImports = [...(await readFile(bin, 'utf8')).matchAll(/^import [^;]*? from "([^"]+)";/gm)].map(
      (m) => m[1],
    );
    expect(staticImports.filter((m) => m!.startsWith('@mtlskit/'))).toEqual(
      expect.arrayContaining(['@mtlskit/core']),
    );
    expect(staticImports.filter((m) => m!.startsWith('@mtlskit/') && m !== '@mtlskit/core')).toEqual([]);
    expect(staticImports).not.toContain('undici');
  });

  it('a clean install of the workspace prints no warnings (no "Failed to create bin")', async () => {
    // The workspace's manifests and lockfile, and whatever their bin fields point at: what
    // `pnpm install` reads, without node_modules or builds.
    const clean = join(scratch, 'clean');
    await mkdir(clean);
    for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml'])
      await cp(join(repoRoot, f), join(clean, f));
    for (const group of ['packages', 'examples']) {
      for (const name of await readdir(join(repoRoot, group))) {
        const manifest = join(repoRoot, group, name, 'package.json');
        if (!(await stat(manifest).catch(() => undefined))) continue;
        await mkdir(join(clean, group, name), { recursive: true });
        await cp(manifest, join(clean, group, name, 'package.json'));
        const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { bin?: string | Record<string, string> };
        const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
        for (const bin of bins) {
          const from = join(repoRoot, group, name, bin);
          // Build outputs (dist/) are not in a fresh clone, whatever this checkout holds.
          if (/(^|\/)dist\//.test(bin.replace(/^\.\//, ''))) continue;
          if (!(await stat(from).catch(() => undefined))) continue;
          await mkdir(dirname(join(clean, group, name, bin)), { recursive: true });
          await cp(from, join(clean, group, name, bin));
        }
      }
    }
    const r = await sh('npx -y pnpm@10 install --frozen-lockfile --prefer-offline --ignore-scripts', clean);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/WARN/);
  }, 300_000);
});
