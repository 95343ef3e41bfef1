export type { CliIo } from './lib/cli-io.js';
export { runCli } from './run-cli.js';
