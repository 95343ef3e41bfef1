import { parseArgs } from 'node:util';
import { runLimbo } from '@mtlskit/core';
import { CliError, FileError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { readText } from '../lib/read-input.js';

const HELP = `Usage: mtlskit limbo [FILE]

The x509-limbo harness: reads a testcase suite ({"version": 1, "testcases": [...]}) from FILE
or standard input, verifies every testcase with mtlskit's verifier, and writes the results
({"version": 1, "harness": "...", "results": [{"id", "actual_result", "context"}]}) as JSON
to standard output.

Exit codes: 0 results written (whatever they are), 2 the suite could not be read.`;

async function readStdin(ctx: CommandContext): Promise<string> {
  const stdin = ctx.io.stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export const limboCommand: Command = {
  name: 'limbo',
  summary: 'x509-limbo harness: suite JSON in, results JSON out',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    if (positionals.length > 1)
      throw new CliError('limbo takes at most one FILE (or the suite on standard input).');
    const file = positionals[0];
    const source = file ?? '<stdin>';
    const text = file === undefined || file === '-' ? await readStdin(ctx) : await readText(file, ctx.cwd);
    let suite: unknown;
    try {
      suite = JSON.parse(text);
    } catch (e) {
      throw new FileError(
        source,
        new CliError(`is not JSON (${e instanceof Error ? e.message : 'parse error'})`),
      );
    }
    if (!suite || typeof suite !== 'object' || !Array.isArray((suite as { testcases?: unknown }).testcases)) {
      throw new FileError(
        source,
        new CliError('is not an x509-limbo suite: expected {"version": 1, "testcases": [...]}'),
      );
    }
    const results = await runLimbo(suite as Parameters<typeof runLimbo>[0]);
    ctx.out(JSON.stringify(results));
    return 0;
  },
};
