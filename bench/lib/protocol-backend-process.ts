// The agent test suite's node:https protocol backend in a process of its own, so that a
// memory bench measures the agent's heap only. Prints one JSON line {url, caPem}; exits
// when its stdin closes.
import { startProtocolServer } from '../../packages/agent/test/lib/protocol-server.js';

const tokens = JSON.parse(process.env['BACKEND_TOKENS'] ?? '{}') as Record<string, string>;
const server = await startProtocolServer({ tokens, lifetimeMs: 3_600_000, keepHistory: false });
process.stdout.write(`${JSON.stringify({ url: server.url, caPem: server.caPem })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
