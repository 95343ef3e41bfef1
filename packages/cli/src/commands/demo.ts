import { parseArgs } from 'node:util';
import type { DemoStatus } from '../demo/run-demo.js';
import { CliError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { makeStyle } from '../lib/style.js';

const HELP = `Usage: mtlskit demo [--duration SECONDS] [--json]

Shows mtlskit end to end on 127.0.0.1, in about half a minute: a reference backend mints a
one-time install token, an agent enrolls, heartbeats over mTLS and renews its 12-second
certificate several times while requests flow through agent.fetch() to an https server that
hot-swaps its own certificate; at the end the backend revokes the agent.

Options:
  --duration SECONDS  how long requests flow (default 32)
  --json              print only the closing summary, as JSON
  -h, --help          this help

Exit codes: 0 when every request succeeded, 1 otherwise, 2 usage error.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole story on 127.0.0.1: enroll, heartbeat, renew, hot-swap, revoke',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        duration: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    const seconds = values.duration === undefined ? 32 : Number(values.duration);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
      throw new CliError(`--duration "${values.duration}" must be a number of seconds from 1 to 3600.`);
    }
    const json = values.json ?? false;
    const tty = !json && ctx.io.stdout.isTTY === true;
    const s = makeStyle({ isTTY: ctx.io.stdout.isTTY, json, env: ctx.env });
    let statusShown = false;
    const clearStatus = () => {
      if (statusShown) ctx.io.stdout.write('\r\x1b[2K');
      statusShown = false;
    };
    const line = (st: DemoStatus) =>
      `${s.bold(`gen ${st.generation}`)} · expires in ${(Math.max(0, st.expiresInMs) / 1000).toFixed(1)} s · requests ${s.green(String(st.requestsOk))} ok / ${st.requestsFailed ? s.red(String(st.requestsFailed)) : '0'} failed · renewals ${st.renewals} · heartbeats ${st.heartbeats} · server gen ${st.serverGeneration}`;

    // Loaded on use: the agent, the testkit and undici are most of the CLI's start-up time.
    const { runDemo } = await import('../demo/run-demo.js');
    const summary = await runDemo({
      durationMs: seconds * 1000,
      ...(json
        ? {}
        : {
            onEvent: (text: string) => {
              clearStatus();
              ctx.out(text);
            },
          }),
      ...(tty
        ? {
            onStatus: (st: DemoStatus) => {
              ctx.io.stdout.write(`\r\x1b[2K${line(st)}`);
              statusShown = true;
            },
          }
        : {}),
    });
    clearStatus();
    if (json) {
      ctx.out(JSON.stringify(summary, null, 2));
      return summary.ok ? 0 : 1;
    }
    const rows: [string, string][] = [
      ['requests ok', String(summary.requestsOk)],
      ['requests failed', String(summary.requestsFailed)],
      ['renewals', String(summary.renewals)],
      ['heartbeats', String(summary.heartbeats)],
      ['client identities seen by the server', String(summary.clientGenerationsSeenByServer)],
      ['server identities served', String(summary.serverGenerations)],
      ['registrations', String(summary.registrations)],
      ['revoked at the end', summary.revoked ? 'yes' : 'no'],
      ['duration', `${(summary.durationMs / 1000).toFixed(1)} s`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    ctx.out('');
    ctx.out(s.bold('summary'));
    for (const [k, v] of rows) ctx.out(`  ${k.padEnd(width)}  ${v}`);
    for (const f of summary.failures.slice(0, 10)) ctx.out(s.red(`  ! ${f}`));
    ctx.out(
      summary.ok ? s.green('\nDemo OK: no request failed.') : s.red('\nDemo FAILED: see the lines above.'),
    );
    return summary.ok ? 0 : 1;
  },
};
