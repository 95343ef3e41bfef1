export { type DemoOptions, type DemoStatus, type DemoSummary, runDemo } from './demo/run-demo.js';
export type { CliIo } from './lib/cli-io.js';
export { runCli } from './run-cli.js';
