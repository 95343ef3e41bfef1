import type { CliIo } from './cli-io.js';

/** What a command gets from runCli. */
export interface CommandContext {
  readonly io: CliIo;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (newline added) to stdout. */
  out(text: string): void;
}

/** A subcommand: parses its own arguments and returns the exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(args: string[], ctx: CommandContext): Promise<number>;
}
