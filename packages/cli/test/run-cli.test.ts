import { describe, expect, it } from 'vitest';
import { run } from './helpers/run.js';

describe('runCli', () => {
  it('prints every command in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['inspect', 'verify', 'doctor', 'compare', 'limbo', 'gen'])
      expect(r.stdout).toContain(`  ${c}`);
    expect((await run([])).stdout).toBe(r.stdout);
  });

  it('prints per-command help and the version', async () => {
    for (const c of ['inspect', 'verify', 'doctor', 'compare', 'limbo', 'gen']) {
      const r = await run([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: mtlskit ${c}`);
      expect((await run(['help', c])).stdout).toBe(r.stdout);
    }
    expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects unknown commands with exit 2', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('a `--` passed through by pnpm', () => {
  it('is dropped before or right after the command name', async () => {
    const plain = await run(['demo', '--duration', 'soon']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--duration "soon"');
    for (const argv of [
      ['demo', '--', '--duration', 'soon'],
      ['--', 'demo', '--duration', 'soon'],
    ]) {
      const r = await run(argv);
      expect(r.stderr).toBe(plain.stderr);
      expect(r.code).toBe(2);
    }
  });
});
