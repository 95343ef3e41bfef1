import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the openssl binary (the independent oracle) and never throws on a non-zero exit. */
export function openssl(args: string[], input?: string): Promise<OpensslResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A temporary directory with a `file(name, content)` writer, removed by `cleanup()`. */
export async function tempDir(): Promise<{
  dir: string;
  file: (name: string, content: string) => Promise<string>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-test-'));
  return {
    dir,
    file: async (name, content) => {
      const p = join(dir, name);
      await writeFile(p, content, { mode: 0o600 });
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
