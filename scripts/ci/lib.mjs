// Small helpers shared by the CI scripts in this folder (plain Node, no build step).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Every tarball `pnpm pack:all` wrote, so packages added later are covered without edits. */
export function tarballs() {
  const dir = join(root, 'dist-packages');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.tgz'))
        .sort()
    : [];
  if (files.length === 0) fail('no tarballs in dist-packages/: run `npx -y pnpm@10 pack:all` first.');
  return files.map((f) => join(dir, f));
}

/** The package.json inside a tarball. */
export function manifestOf(tgz) {
  const out = run('tar', ['-xzOf', tgz, 'package/package.json'], { quiet: true });
  return JSON.parse(out.stdout);
}

/** The file list of a tarball, without the leading `package/`. */
export function filesOf(tgz) {
  return run('tar', ['-tzf', tgz], { quiet: true })
    .stdout.split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

/**
 * Runs a command; throws (with its output) when it fails unless `allowFail`. Output is
 * streamed unless `quiet`.
 */
export function run(cmd, args, { cwd = root, quiet = false, allowFail = false, env } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!quiet) {
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
  }
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    if (quiet) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`\`${cmd} ${args.join(' ')}\` exited with ${r.status} (in ${cwd})`);
  }
  return r;
}

/** Prints one error line and exits 1. */
export function fail(message) {
  console.error(`✗ ${message}`);
  process.exit(1);
}
