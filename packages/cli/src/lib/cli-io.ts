/** Where the CLI reads and writes: `process` by default, buffers in tests. */
export interface CliIo {
  /** Standard output; colour is used only when `isTTY` is true. */
  readonly stdout: { write(chunk: string): unknown; isTTY?: boolean };
  readonly stderr: { write(chunk: string): unknown };
  /** Standard input (for `mtlskit limbo` without a file). Default `process.stdin`. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
  /** Environment (for `NO_COLOR`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved from. Default `process.cwd()`. */
  readonly cwd?: string;
}
