import { parseArgs } from 'node:util';
import { type CertificateInfo, compareTrustBundles } from '@mtlskit/core';
import { CliError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { readCertificates } from '../lib/read-input.js';
import { makeStyle } from '../lib/style.js';
import { isoDate, table } from '../lib/summaries.js';

const HELP = `Usage: mtlskit compare NAME=FILE NAME=FILE... [--json]

Compares two or more trust bundles (e.g. the CA files of two Kubernetes secrets): which
CAs each holds, which are missing from some, and which share a subject but not a key
(a CA regenerated under the same name).

Certificate and key files may be PEM or DER.

Options:
  --json      machine-readable output (see docs/cli.md)
  -h, --help  this help

Exit codes: 0 the bundles hold the same CAs, 1 they differ, 2 usage or input error.`;

const short = (fp: string) => `${fp.slice(0, 23)}…`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare trust bundles (find regenerated or missing CAs)',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    if (positionals.length < 2)
      throw new CliError('compare needs at least two NAME=FILE arguments. Run `mtlskit compare --help`.');
    const bundles: Record<string, CertificateInfo[]> = {};
    for (const arg of positionals) {
      const eq = arg.indexOf('=');
      if (eq <= 0 || eq === arg.length - 1)
        throw new CliError(`"${arg}" is not NAME=FILE (e.g. agent=agent-ca.pem).`);
      const name = arg.slice(0, eq);
      if (Object.hasOwn(bundles, name))
        throw new CliError(`the name "${name}" is used twice; give each bundle its own name.`);
      const file = arg.slice(eq + 1);
      bundles[name] = await readCertificates(file, ctx.cwd, `bundle "${name}"`);
    }
    const cmp = compareTrustBundles(bundles);
    const code = cmp.identical ? 0 : 1;
    if (values.json) {
      ctx.out(JSON.stringify(cmp, null, 2));
      return code;
    }
    const s = makeStyle({ isTTY: ctx.io.stdout.isTTY, json: false, env: ctx.env });
    const names = Object.keys(bundles);
    const all = [...cmp.common, ...cmp.partial];
    ctx.out(
      table(
        ['subject', 'SHA-256', 'valid until', ...names],
        all.map((e) => [
          e.subject,
          short(e.fingerprintSha256),
          isoDate(e.notAfter),
          ...names.map((n) => (e.presentIn.includes(n) ? 'yes' : '-')),
        ]),
      ),
    );
    ctx.out('');
    if (cmp.identical)
      ctx.out(s.green(`All ${names.length} bundles hold the same ${cmp.common.length} certificate(s).`));
    for (const p of cmp.partial) {
      ctx.out(
        `${s.yellow('missing')}  "${p.subject}" (SHA-256 ${short(p.fingerprintSha256)}) is in ${p.presentIn.join(', ')} but not in ${p.missingFrom.join(', ')}.`,
      );
    }
    for (const r of cmp.regenerated) {
      ctx.out(
        `${s.red('regenerated')}  the CA "${r.subject}" exists with ${r.variants.length} different keys:`,
      );
      for (const v of r.variants) {
        ctx.out(
          `    SHA-256 ${v.fingerprintSha256} (${isoDate(v.notBefore)} → ${isoDate(v.notAfter)}) in ${v.presentIn.join(', ')}`,
        );
      }
      ctx.out(
        '    Certificates issued by one key do not verify with the other: put the current CA in every bundle.',
      );
    }
    return code;
  },
};
