import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@mtlskit/cli';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function run(
  argv: string[],
  options: { cwd?: string; stdin?: string; env?: Record<string, string | undefined>; isTTY?: boolean } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const stdinText = options.stdin;
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.isTTY ?? false },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(stdinText !== undefined
      ? {
          stdin: (async function* () {
            yield stdinText;
          })(),
        }
      : {}),
  });
  return { code, stdout, stderr };
}

/** A temp directory for test files, removed by cleanup(). */
export async function workDir(): Promise<{
  dir: string;
  file: (name: string, content: string) => Promise<string>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-cli-'));
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

/** Parses JSON output, failing the test with the raw text when it is not JSON. */
export function json<T = any>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text}`);
  }
}
