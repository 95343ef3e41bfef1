import { createRequire } from 'node:module';
import { compareCommand } from './commands/compare.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { genCommand } from './commands/gen.js';
import { inspectCommand } from './commands/inspect.js';
import { limboCommand } from './commands/limbo.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';
import { CliError, describeFailure, FileError } from './lib/cli-error.js';
import type { CliIo } from './lib/cli-io.js';
import type { Command, CommandContext } from './lib/command-context.js';

const COMMANDS: readonly Command[] = [
  inspectCommand,
  verifyCommand,
  doctorCommand,
  compareCommand,
  limboCommand,
  genCommand,
  demoCommand,
  serveCommand,
];

function version(): string {
  try {
    // src/ and dist/ both sit next to package.json.
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: mtlskit <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `mtlskit <command> --help` for the options of a command.',
    'Options: -h, --help  this help; -v, --version  the version.',
    'Exit codes: 0 success, 1 a problem was found (invalid chain, error finding), 2 usage or input error.',
  ].join('\n');
}

/**
 * Runs the `mtlskit` command line in-process and resolves to its exit code: 0 success,
 * 1 a problem was found, 2 usage or input error. Output goes to `io` (default: the
 * process's streams); failures are one line on stderr, never a stack trace.
 *
 * @example
 * ```ts
 * import { runCli } from '@mtlskit/cli';
 * let out = '';
 * const code = await runCli(['inspect', 'client.crt', '--json'], {
 *   stdout: { write: (s: string) => (out += s) },
 *   stderr: { write: (s: string) => process.stderr.write(s) },
 * });
 * ```
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const ctx: CommandContext = {
    io: full,
    cwd: full.cwd ?? process.cwd(),
    env: full.env ?? {},
    out: (text) => {
      full.stdout.write(`${text}\n`);
    },
  };
  // `pnpm demo -- --duration 10` and `pnpm mtlskit -- doctor …` pass the `--` through:
  // a `--` before the command or right after it separates nothing and is dropped.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const [name, ...rest] = args;
  if (rest[0] === '--') rest.shift();
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    ctx.out(topic ? topic.help : mainHelp());
    return 0;
  }
  if (name === '-v' || name === '--version') {
    ctx.out(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    full.stderr.write(
      `mtlskit: unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Run \`mtlskit --help\`.\n`,
    );
    return 2;
  }
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    const usage =
      e instanceof CliError ||
      (typeof (e as { code?: unknown })?.code === 'string' &&
        String((e as { code: string }).code).startsWith('ERR_PARSE_ARGS'));
    const line = e instanceof FileError ? e.message : describeFailure(e);
    full.stderr.write(
      `mtlskit ${command.name}: ${line}${usage && !(e instanceof FileError) && !/--help/.test(line) ? ` Run \`mtlskit ${command.name} --help\`.` : ''}\n`,
    );
    return 2;
  }
}
