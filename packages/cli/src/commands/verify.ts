import { parseArgs } from 'node:util';
import { verifyChain } from '@mtlskit/core';
import { CliError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { hostOptions, parseAt, parseProfile, parsePurpose } from '../lib/parse-common.js';
import { readCertificates } from '../lib/read-input.js';
import { makeStyle } from '../lib/style.js';
import { summarize } from '../lib/summaries.js';

const HELP = `Usage: mtlskit verify --leaf FILE --trust FILE [--intermediates FILE] [--at ISO]
                      [--purpose client|server] [--profile webpki|rfc5280] [--host NAME|IP] [--json]

Verifies a certificate chain (RFC 5280) and explains the verdict.

Certificate and key files may be PEM or DER.

Options:
  --leaf FILE           the certificate (a bundle: leaf first, the rest are intermediates)
  --intermediates FILE  more intermediate CA certificates (any order)
  --trust FILE          the trusted CA certificates (trust anchors)
  --at ISO              verify at this time instead of now (e.g. 2025-06-01T00:00:00Z)
  --purpose P           client (EKU clientAuth) or server (serverAuth); default: any
                        (the extended key usage is then not checked)
  --profile P           webpki (RFC 5280 plus the CA/Browser Forum TLS server rules that
                        browsers, Go and rustls enforce) or rfc5280; default: webpki for
                        --purpose server, rfc5280 otherwise
  --host NAME|IP        the name or address the leaf must cover (SAN check)
  --json                machine-readable output (see docs/cli.md)
  -h, --help            this help

Exit codes: 0 valid, 1 invalid, 2 usage or input error.`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a certificate chain and explain the verdict',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        leaf: { type: 'string' },
        intermediates: { type: 'string' },
        trust: { type: 'string' },
        at: { type: 'string' },
        purpose: { type: 'string' },
        profile: { type: 'string' },
        host: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    if (!values.leaf) throw new CliError('verify needs --leaf FILE. Run `mtlskit verify --help`.');
    if (!values.trust)
      throw new CliError(
        'verify needs --trust FILE (the trusted CA certificates). Run `mtlskit verify --help`.',
      );
    const at = parseAt(values.at);
    const purpose = parsePurpose(values.purpose, 'any');
    const profile = parseProfile(values.profile);
    const host = hostOptions(values.host);
    const [leaf, ...rest] = await readCertificates(values.leaf, ctx.cwd, 'leaf');
    const intermediates = [
      ...rest,
      ...(values.intermediates ? await readCertificates(values.intermediates, ctx.cwd, 'intermediates') : []),
    ];
    const trustAnchors = await readCertificates(values.trust, ctx.cwd, 'trust anchors');
    const verdict = await verifyChain({
      leaf: leaf!,
      intermediates,
      trustAnchors,
      purpose,
      ...(profile ? { profile } : {}),
      ...(at ? { at } : {}),
      ...host,
    });
    if (values.json) {
      ctx.out(
        JSON.stringify(
          verdict.ok
            ? { ok: true, purpose, chain: verdict.chain.map(summarize) }
            : {
                ok: false,
                code: verdict.code,
                message: verdict.message,
                ...(verdict.depth !== undefined ? { depth: verdict.depth } : {}),
                ...(verdict.certificate ? { certificate: summarize(verdict.certificate) } : {}),
                ...(verdict.missingIssuer !== undefined ? { missingIssuer: verdict.missingIssuer } : {}),
                ...(verdict.profileRule !== undefined ? { profileRule: verdict.profileRule } : {}),
              },
          null,
          2,
        ),
      );
      return verdict.ok ? 0 : 1;
    }
    const s = makeStyle({ isTTY: ctx.io.stdout.isTTY, json: false, env: ctx.env });
    if (verdict.ok) {
      ctx.out(
        `${s.green('OK')}  the chain verifies${purpose === 'any' ? '' : ` for ${purpose}`}${values.host ? ` and covers ${values.host}` : ''}:`,
      );
      verdict.chain.forEach((c, i) => {
        ctx.out(
          `  ${i}  ${c.subject}  ${s.dim(`(SHA-256 ${c.fingerprintSha256.slice(0, 23)}…, until ${c.notAfter.toISOString()})`)}`,
        );
      });
      // Without --purpose nothing checked the extended key usage: a code-signing leaf passes too.
      if (purpose === 'any')
        ctx.out('Extended key usage was not checked: pass --purpose client or server for an mTLS verdict.');
      return 0;
    }
    ctx.out(
      `${s.red('INVALID')}  ${s.bold(verdict.code)}${verdict.depth !== undefined ? ` at depth ${verdict.depth}` : ''}`,
    );
    ctx.out(`  ${verdict.message}`);
    if (verdict.certificate)
      ctx.out(
        `  certificate: ${verdict.certificate.subject} (SHA-256 ${verdict.certificate.fingerprintSha256})`,
      );
    if (verdict.missingIssuer !== undefined) ctx.out(`  missing issuer: ${verdict.missingIssuer}`);
    if (verdict.profileRule !== undefined)
      ctx.out(
        `  only the webpki profile refuses this (${verdict.profileRule}); Node's TLS would accept it, as would --profile rfc5280`,
      );
    return 1;
  },
};
