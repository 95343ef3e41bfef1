import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { redact, startServe } from '../serve/start-serve.js';

const HELP = `Usage: mtlskit serve --ca-cert FILE --ca-key FILE [--redis URL] [--listen HOST:PORT] [options]

Runs a registration service (@mtlskit/server) over HTTPS: agents register with install
tokens, renew over mTLS, heartbeat; the admin API mints tokens and revokes. Prints a
first install token, so an agent can enroll at once. Stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --ca-cert FILE       the CA that signs agent certificates and the server certificate
                       (agents pin it); make one with \`mtlskit gen ca\`
  --ca-key FILE        its private key
  --redis URL          keep state in Redis (redis://[:password@]host:port[/db]) so several
                       replicas share it; default: in memory, lost on exit
  --listen HOST:PORT   default 127.0.0.1:8443 (port 0: any free port)
  --service-name NAME  service_name of the first install token (default "demo")
  --lifetime SECONDS   lifetime of issued client certificates (default 3600)
  --token-ttl SECONDS  how long install tokens stay usable (default 900)
  --server-name NAME   extra DNS name or IP of the server certificate (repeatable)
  -h, --help           this help

Environment: MTLSKIT_ADMIN_TOKEN is the admin bearer token (default: a random one, printed).

Exit codes: 0 stopped by a signal, 2 usage or input error.`;

function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new CliError(`--listen "${value}" must be HOST:PORT, e.g. 0.0.0.0:8443.`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function seconds(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new CliError(`--${name} "${value}" must be a number of seconds ≥ ${min}.`);
  return Math.round(n * 1000);
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a registration service for agents (memory or Redis), print a first install token',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        'ca-cert': { type: 'string' },
        'ca-key': { type: 'string' },
        redis: { type: 'string' },
        listen: { type: 'string' },
        'service-name': { type: 'string' },
        lifetime: { type: 'string' },
        'token-ttl': { type: 'string' },
        'server-name': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    if (!values['ca-cert'] || !values['ca-key'])
      throw new CliError('--ca-cert and --ca-key are required (make a CA with `mtlskit gen ca`).');
    if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis))
      throw new CliError(`--redis "${redact(values.redis)}" must start with redis:// or rediss://.`);
    const { host, port } = parseListen(values.listen ?? '127.0.0.1:8443');
    const adminToken = ctx.env['MTLSKIT_ADMIN_TOKEN'] || undefined;
    const running = await startServe({
      caCertFile: resolve(ctx.cwd, values['ca-cert']),
      caKeyFile: resolve(ctx.cwd, values['ca-key']),
      redisUrl: values.redis,
      host,
      port,
      adminToken,
      serviceName: values['service-name'] ?? 'demo',
      certificateLifetimeMs: seconds('lifetime', values.lifetime, 3_600_000, 1),
      tokenTtlMs: seconds('token-ttl', values['token-ttl'], 900_000, 1),
      serverNames: values['server-name'] ?? [],
    });
    ctx.out(
      `mtlskit serve: listening on ${running.url} (store: ${values.redis ? `redis ${redact(values.redis)}` : 'memory'})`,
    );
    ctx.out(`  agents pin:     ${resolve(ctx.cwd, values['ca-cert'])}`);
    ctx.out(`  install token:  ${running.firstToken}`);
    ctx.out(
      `                  (service_name "${values['service-name'] ?? 'demo'}", single use, expires ${running.firstTokenExpiresAt.toISOString()})`,
    );
    if (running.adminTokenGenerated)
      ctx.out(`  admin token:    ${running.service.adminToken}   (set MTLSKIT_ADMIN_TOKEN to choose it)`);
    ctx.out(
      `  more tokens:    curl --cacert CA -H "Authorization: Bearer $ADMIN" -d '{"service_name":"demo","service_type":"agent"}' ${running.url}/api/v1/install-tokens`,
    );
    ctx.out('Stop with Ctrl-C.');
    const storeErrors = { last: 0 };
    running.service.on('store-error', (e) => {
      // One line per 10 s at most while the store is down.
      if (Date.now() - storeErrors.last < 10_000) return;
      storeErrors.last = Date.now();
      ctx.io.stderr.write(`mtlskit serve: ${e.message}\n`);
    });
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await running.close();
    ctx.out('mtlskit serve: stopped.');
    return 0;
  },
};
