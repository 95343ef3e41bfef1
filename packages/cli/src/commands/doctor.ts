import { rootCertificates } from 'node:tls';
import { parseArgs } from 'node:util';
import {
  type CertificateInfo,
  diagnose,
  type Finding,
  importPrivateKey,
  joinPem,
  parseCertificate,
} from '@mtlskit/core';
import { CliError, FileError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { connectionFindings } from '../lib/connection-findings.js';
import { parseAt, parsePositiveInt, parsePurpose } from '../lib/parse-common.js';
import { probeTls } from '../lib/probe-tls.js';
import { readCertificates, readPrivateKeyPem } from '../lib/read-input.js';
import { makeStyle } from '../lib/style.js';
import { summarize } from '../lib/summaries.js';

const HELP = `Usage: mtlskit doctor --cert FILE --ca FILE [--key FILE] [--chain FILE] [--peer-ca FILE]
                      [--expect-cn GLOB] [--purpose client|server] [--host NAME|IP]
                      [--expiring-within DAYS] [--at ISO]
                      [--connect HOST:PORT [--server-ca FILE] [--servername NAME] [--timeout MS]
                       [--wait MS]] [--json]

Finds what breaks an mTLS handshake and says how to fix it: key/certificate mismatch,
expiry, untrusted or regenerated CAs, missing intermediates, wrong EKU, wrong CN, chain
order, weak keys. With --connect it also makes a real handshake with these credentials.

Certificate and key files may be PEM or DER.

Options:
  --cert FILE            your certificate (a bundle: leaf first, then its chain)
  --key FILE             its private key (checked to match; needed for --connect)
  --chain FILE           intermediate certificates sent with the leaf
  --ca FILE              the CA(s) your certificate should chain to (your own CA file)
  --peer-ca FILE         the CA(s) the other side trusts for clients (e.g. the gateway's CA file)
  --server-ca FILE       with --connect: the CA(s) that verify the server's certificate
                         (default: --ca plus the system roots; a server that does not verify
                         against those is then a warning, not an error)
  --expect-cn GLOB       the common name the peer expects, e.g. 'alloc:*'
  --purpose P            client (default) or server
  --host NAME|IP         a name your certificate must cover (server certificates)
  --expiring-within DAYS warn when the certificate expires within DAYS (default: 7, or a
                         third of its lifetime when that is shorter)
  --at ISO               check at this time instead of now
  --connect HOST:PORT    make a real TLS handshake with the certificate and key
  --servername NAME      SNI and name to check on the server certificate (default HOST)
  --timeout MS           connect and handshake limit (default 10000)
  --wait MS              how long to watch the connection after the handshake for a
                         rejection of the client certificate (default 1000)
  --json                 machine-readable output (see docs/cli.md)
  -h, --help             this help

Exit codes: 0 no error finding, 1 at least one error finding, 2 usage or input error.`;

function parseTarget(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port > 0 && port < 65536))
    throw new CliError(`--connect "${value}" is not HOST:PORT (e.g. api.example.com:443 or [::1]:8443).`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Which input a finding is about, so `--ca`, `--peer-ca` and `--server-ca` are never confused. */
export type FindingAbout = 'cert' | 'ca' | 'peer-ca' | 'server' | 'connection';

const ABOUT: Record<FindingAbout, string> = {
  cert: 'your certificate',
  ca: 'your certificate vs --ca',
  'peer-ca': 'your certificate vs --peer-ca',
  server: "the server's certificate",
  connection: 'the handshake',
};

function aboutOf(x: Finding): FindingAbout {
  switch (x.code) {
    case 'CA_REGENERATED':
      return x.message.includes('(--peer-ca)') ? 'peer-ca' : 'ca';
    case 'MISSING_INTERMEDIATE':
    case 'UNKNOWN_ISSUER':
    case 'ISSUER_NOT_FOUND':
    case 'CHAIN_INVALID':
      return 'ca';
    case 'UNTRUSTED_BY_PEER':
      return 'peer-ca';
    case 'SERVER_UNTRUSTED':
    case 'SERVER_NAME_MISMATCH':
      return 'server';
    case 'CONNECT_FAILED':
    case 'CLIENT_CERT_REJECTED':
    case 'HANDSHAKE_OK':
      return 'connection';
    default:
      return 'cert';
  }
}

let roots: CertificateInfo[] | undefined;
/** Node's bundled CA roots, parsed once (those core cannot read are skipped). */
function systemRoots(): CertificateInfo[] {
  roots ??= rootCertificates.flatMap((pem) => {
    try {
      return [parseCertificate(pem)];
    } catch {
      return [];
    }
  });
  return roots;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'find and explain everything that breaks an mTLS handshake',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        cert: { type: 'string' },
        key: { type: 'string' },
        chain: { type: 'string' },
        ca: { type: 'string' },
        'peer-ca': { type: 'string' },
        'server-ca': { type: 'string' },
        'expect-cn': { type: 'string' },
        purpose: { type: 'string' },
        host: { type: 'string' },
        'expiring-within': { type: 'string' },
        at: { type: 'string' },
        connect: { type: 'string' },
        servername: { type: 'string' },
        timeout: { type: 'string' },
        wait: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    if (!values.cert) throw new CliError('doctor needs --cert FILE. Run `mtlskit doctor --help`.');
    if (!values.ca)
      throw new CliError(
        'doctor needs --ca FILE (the CA your certificate should chain to). Run `mtlskit doctor --help`.',
      );
    const target = values.connect !== undefined ? parseTarget(values.connect) : undefined;
    if (target && !values.key)
      throw new CliError(
        '--connect needs --key FILE: a handshake with a client certificate needs its private key.',
      );
    if (values.servername !== undefined && !target)
      throw new CliError('--servername only applies with --connect HOST:PORT.');
    if (values['server-ca'] !== undefined && !target)
      throw new CliError('--server-ca only applies with --connect HOST:PORT (it verifies the server).');
    const at = parseAt(values.at);
    const purpose = parsePurpose(values.purpose, 'clientAuth');
    const days = parsePositiveInt('expiring-within', values['expiring-within']);
    const timeoutMs = parsePositiveInt('timeout', values.timeout) ?? 10_000;
    const settleMs = parsePositiveInt('wait', values.wait) ?? 1000;

    const certs = await readCertificates(values.cert, ctx.cwd, 'certificate');
    const chain = values.chain ? await readCertificates(values.chain, ctx.cwd, 'chain') : [];
    const anchors = await readCertificates(values.ca, ctx.cwd, 'CA');
    const peer = values['peer-ca']
      ? await readCertificates(values['peer-ca'], ctx.cwd, 'peer CA')
      : undefined;
    let keyPem: string | undefined;
    if (values.key) {
      keyPem = await readPrivateKeyPem(values.key, ctx.cwd);
      try {
        await importPrivateKey(keyPem);
      } catch (e) {
        throw new FileError(values.key, e);
      }
    }
    let findings: Finding[] = await diagnose({
      certificate: certs,
      ...(chain.length ? { chain } : {}),
      ...(keyPem !== undefined ? { privateKey: keyPem } : {}),
      trustAnchors: anchors,
      ...(peer ? { peerTrustAnchors: peer } : {}),
      purpose,
      ...(values['expect-cn'] !== undefined ? { expectCommonName: values['expect-cn'] } : {}),
      ...(values.host !== undefined ? { hostname: values.host } : {}),
      ...(days !== undefined ? { expiringWithinMs: days * 86_400_000 } : {}),
      ...(at ? { at } : {}),
    });

    let connection: Record<string, unknown> | undefined;
    if (target) {
      const sent: CertificateInfo[] = [...certs, ...chain];
      const serverCa = values['server-ca'];
      const serverAnchors = serverCa
        ? await readCertificates(serverCa, ctx.cwd, 'server CA')
        : [...anchors, ...systemRoots()];
      const probe = await probeTls({
        host: target.host,
        port: target.port,
        ...(values.servername !== undefined ? { servername: values.servername } : {}),
        cert: joinPem(sent),
        key: keyPem!,
        ca: joinPem(serverAnchors),
        timeoutMs,
        settleMs,
      });
      const label = `${target.host}:${target.port}`;
      const report = await connectionFindings(probe, label, serverAnchors, true, findings, at, {
        label: serverCa ? '--server-ca' : '--ca and the system roots',
        explicit: serverCa !== undefined,
      });
      findings = [...findings, ...report.findings];
      connection = {
        target: label,
        servername: values.servername ?? target.host,
        handshakeCompleted: probe.handshakeCompleted,
        protocol: probe.protocol ?? null,
        cipher: probe.cipher ?? null,
        outcome: probe.outcome,
        errorCode: probe.errorCode ?? null,
        closedAfterMs: probe.closedAfterMs ?? null,
        serverVerified: probe.serverAuthorized ?? null,
        serverChain: report.serverChain.map(summarize),
        clientCertificateAccepted: report.clientCertificateAccepted,
      };
    }
    const rank = { error: 0, warning: 1, info: 2 } as const;
    const hasProblem = findings.some((x) => x.severity !== 'info');
    // "OK" means all is well: drop it when the live handshake found a problem.
    findings = findings
      .filter((x) => !(hasProblem && x.code === 'OK'))
      .sort((a, b) => rank[a.severity] - rank[b.severity]);
    const ok = !findings.some((x) => x.severity === 'error');

    const described = findings.map((x) => ({ ...x, about: aboutOf(x) }));
    if (values.json) {
      ctx.out(JSON.stringify({ ok, findings: described, ...(connection ? { connection } : {}) }, null, 2));
      return ok ? 0 : 1;
    }
    const s = makeStyle({ isTTY: ctx.io.stdout.isTTY, json: false, env: ctx.env });
    const label = { error: 'ERROR', warning: 'WARN ', info: 'INFO ' } as const;
    ctx.out(s.bold(`mtlskit doctor: ${values.cert}${target ? ` → ${target.host}:${target.port}` : ''}`));
    for (const x of described) {
      ctx.out(
        `${s.severity(x.severity, label[x.severity])}  ${s.bold(x.code)}  ${s.dim(`[${ABOUT[x.about]}]`)} ${x.message}`,
      );
      if (x.code !== 'OK' && x.code !== 'HANDSHAKE_OK') ctx.out(`       ${s.dim('fix:')} ${x.fix}`);
    }
    const count = (sev: Finding['severity']) => findings.filter((x) => x.severity === sev).length;
    ctx.out(
      `\n${ok ? s.green('healthy') : s.red('problems found')}: ${count('error')} error(s), ${count('warning')} warning(s).`,
    );
    return ok ? 0 : 1;
  },
};
