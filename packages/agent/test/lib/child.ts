import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../fixtures/agent-child.ts', import.meta.url));

export interface AgentChild {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line starting with `prefix`, or undefined after `timeoutMs`. */
  line(prefix: string, timeoutMs: number): Promise<string | undefined>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined>;
}

/** Starts test/fixtures/agent-child.ts in its own Node process. */
export function startAgentChild(config: Record<string, unknown>): AgentChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, AGENT_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => lines.push(`stderr ${c}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    lines,
    exited,
    line(prefix, timeoutMs) {
      return new Promise((resolve) => {
        const check = (): void => {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolve(undefined);
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exitedWithin(ms) {
      return Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
    },
  };
}
