import { createHash, createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  type CertificateInfo,
  type CsrInfo,
  exportPublicKeyPem,
  importPrivateKey,
  parseCertificate,
  parseCsr,
} from '@mtlskit/core';
import { CliError, FileError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { pemBlocks } from '../lib/pem-blocks.js';
import { readBytes } from '../lib/read-input.js';
import { makeStyle, type Style } from '../lib/style.js';
import { isoDate, keyValues } from '../lib/summaries.js';

/** One item of `mtlskit inspect --json` (see docs/cli.md). */
export type InspectItem =
  | ({ type: 'certificate' } & Record<string, unknown>)
  | ({ type: 'csr' } & Record<string, unknown>)
  | {
      type: 'private-key';
      encrypted: boolean;
      algorithm?: string;
      size?: number;
      curve?: string;
      spkiSha256?: string;
    }
  | { type: 'public-key'; algorithm: string; size?: number; curve?: string; spkiSha256: string }
  | { type: 'other'; label: string };

const CERT_LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];
const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];
const KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'];

function certItem(c: CertificateInfo): InspectItem {
  return {
    type: 'certificate',
    subject: c.subject,
    issuer: c.issuer,
    commonName: c.commonName ?? null,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses,
    uris: c.uris,
    emails: c.emails,
    keyUsage: c.keyUsage,
    extendedKeyUsage: c.extendedKeyUsage,
    isCA: c.isCA,
    pathLength: c.pathLength ?? null,
    selfIssued: c.selfIssued,
    subjectKeyId: c.subjectKeyId ?? null,
    authorityKeyId: c.authorityKeyId ?? null,
    publicKeyAlgorithm: c.publicKeyAlgorithm,
    publicKeySize: c.publicKeySize,
    publicKeyCurve: c.publicKeyCurve ?? null,
    spkiSha256: c.spkiSha256,
    signatureAlgorithm: c.signatureAlgorithm,
    fingerprintSha256: c.fingerprintSha256,
    fingerprintSha1: c.fingerprintSha1,
    version: c.version,
  };
}

function csrItem(c: CsrInfo): InspectItem {
  return {
    type: 'csr',
    subject: c.subject,
    commonName: c.commonName ?? null,
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses,
    uris: c.uris,
    emails: c.emails,
    keyUsage: c.keyUsage,
    extendedKeyUsage: c.extendedKeyUsage,
    publicKeyAlgorithm: c.publicKeyAlgorithm,
    publicKeySize: c.publicKeySize,
    publicKeyCurve: c.publicKeyCurve ?? null,
    spkiSha256: c.spkiSha256,
    signatureAlgorithm: c.signatureAlgorithm,
    signatureValid: c.signatureValid,
  };
}

const spkiHash = (der: Buffer | Uint8Array) => createHash('sha256').update(der).digest('base64');

async function keyItem(text: string | Uint8Array): Promise<InspectItem> {
  const key = await importPrivateKey(text);
  const spkiPem = await exportPublicKeyPem(key);
  const der = createPublicKey(spkiPem).export({ type: 'spki', format: 'der' });
  const [family, rest] = key.algorithm.split('-') as [string, string | undefined];
  const size = family === 'RSA' ? Number(rest) : family === 'Ed25519' ? 256 : Number(rest?.slice(1));
  return {
    type: 'private-key',
    encrypted: false,
    algorithm: family,
    size,
    ...(family === 'ECDSA' && rest ? { curve: `${rest[0]}-${rest.slice(1)}` } : {}),
    spkiSha256: spkiHash(der),
  };
}

function publicKeyItem(pem: string): InspectItem {
  const key = createPublicKey(pem);
  const d = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType ?? 'unknown';
  const curve =
    d.namedCurve === 'prime256v1'
      ? 'P-256'
      : d.namedCurve === 'secp384r1'
        ? 'P-384'
        : d.namedCurve === 'secp521r1'
          ? 'P-521'
          : d.namedCurve;
  return {
    type: 'public-key',
    algorithm: type === 'ec' ? 'ECDSA' : type === 'rsa' ? 'RSA' : type === 'ed25519' ? 'Ed25519' : type,
    ...(d.modulusLength ? { size: d.modulusLength } : curve ? { size: Number(curve.slice(2)) } : {}),
    ...(curve ? { curve } : {}),
    spkiSha256: spkiHash(key.export({ type: 'spki', format: 'der' })),
  };
}

/** Everything in one file: PEM blocks of any kind, or a single DER certificate, CSR or key. */
async function inspectFile(bytes: Uint8Array): Promise<InspectItem[]> {
  const text = Buffer.from(bytes).toString('utf8');
  if (!text.includes('-----BEGIN ')) {
    // DER: try each kind in turn; the certificate's error is the most useful one to show.
    try {
      return [certItem(parseCertificate(bytes))];
    } catch (certError) {
      for (const attempt of [async () => csrItem(await parseCsr(bytes)), () => keyItem(bytes)]) {
        try {
          return [await attempt()];
        } catch {
          // Not this kind either: the next attempt (or the certificate's error) decides.
        }
      }
      if (bytes.length === 0) throw new CliError('is empty');
      throw new CliError(
        `holds no PEM block and is not a DER certificate, CSR or private key (${certError instanceof Error ? certError.message : 'unreadable'})`,
      );
    }
  }
  const blocks = pemBlocks(text);
  if (blocks.length === 0)
    throw new CliError('has a "-----BEGIN" line without a matching "-----END" line (truncated file?)');
  const items: InspectItem[] = [];
  for (const b of blocks) {
    if (CERT_LABELS.includes(b.label)) items.push(certItem(parseCertificate(b.text)));
    else if (CSR_LABELS.includes(b.label)) items.push(csrItem(await parseCsr(b.text)));
    else if (KEY_LABELS.includes(b.label)) {
      if (/Proc-Type:\s*4,ENCRYPTED/.test(b.text)) items.push({ type: 'private-key', encrypted: true });
      else items.push(await keyItem(b.text));
    } else if (b.label === 'ENCRYPTED PRIVATE KEY') items.push({ type: 'private-key', encrypted: true });
    else if (b.label === 'PUBLIC KEY') items.push(publicKeyItem(b.text));
    else items.push({ type: 'other', label: b.label });
  }
  return items;
}

function until(notAfter: Date, now: number): string {
  const ms = notAfter.getTime() - now;
  const days = Math.abs(ms) / 86_400_000;
  const amount = days >= 2 ? `${Math.round(days)} days` : `${Math.round(Math.abs(ms) / 3_600_000)} hours`;
  return ms < 0 ? `expired ${amount} ago` : `expires in ${amount}`;
}

function renderItem(item: InspectItem, s: Style): string {
  const v = item as Record<string, unknown>;
  const list = (k: string) => (v[k] as string[] | undefined)?.join(', ') || '-';
  switch (item.type) {
    case 'certificate': {
      const notAfter = new Date(String(v.notAfter));
      const expired = notAfter.getTime() < Date.now();
      const sans = [
        ...(v.dnsNames as string[]).map((d) => `DNS:${d}`),
        ...(v.ipAddresses as string[]).map((d) => `IP:${d}`),
        ...(v.uris as string[]).map((d) => `URI:${d}`),
        ...(v.emails as string[]).map((d) => `email:${d}`),
      ];
      return keyValues([
        ['subject', String(v.subject) || '(empty)'],
        ['issuer', String(v.issuer)],
        ['serial', String(v.serialNumber)],
        ['not before', isoDate(new Date(String(v.notBefore)))],
        ['not after', `${isoDate(notAfter)} (${(expired ? s.red : s.green)(until(notAfter, Date.now()))})`],
        ['SANs', sans.join(', ') || '-'],
        ['key', `${v.publicKeyAlgorithm} ${v.publicKeyCurve ?? `${v.publicKeySize} bits`}`],
        ['SPKI SHA-256', String(v.spkiSha256)],
        ['signature', String(v.signatureAlgorithm)],
        ['key usage', list('keyUsage')],
        ['ext key usage', list('extendedKeyUsage')],
        ['CA', v.isCA ? `yes${v.pathLength !== null ? ` (path length ${v.pathLength})` : ''}` : 'no'],
        ['self-issued', v.selfIssued ? 'yes' : 'no'],
        ['SHA-256', String(v.fingerprintSha256)],
      ]);
    }
    case 'csr':
      return keyValues([
        ['subject', String(v.subject) || '(empty)'],
        [
          'SANs',
          [...(v.dnsNames as string[]), ...(v.ipAddresses as string[]), ...(v.uris as string[])].join(', ') ||
            '-',
        ],
        ['key', `${v.publicKeyAlgorithm} ${v.publicKeyCurve ?? `${v.publicKeySize} bits`}`],
        ['SPKI SHA-256', String(v.spkiSha256)],
        ['signature', `${v.signatureAlgorithm} (${v.signatureValid ? s.green('valid') : s.red('INVALID')})`],
        ['ext key usage', list('extendedKeyUsage')],
      ]);
    case 'private-key':
      if (item.encrypted)
        return keyValues([
          ['encrypted', 'yes (decrypt with `openssl pkey -in KEY -out plain.pem` to inspect)'],
        ]);
      return keyValues([
        ['key', `${item.algorithm} ${item.curve ?? `${item.size} bits`}`],
        ['SPKI SHA-256', String(item.spkiSha256)],
      ]);
    case 'public-key':
      return keyValues([
        ['key', `${item.algorithm} ${item.curve ?? `${item.size ?? '?'} bits`}`],
        ['SPKI SHA-256', item.spkiSha256],
      ]);
    default:
      return keyValues([['label', item.label]]);
  }
}

const HELP = `Usage: mtlskit inspect FILE... [--json]

Shows the certificates, certificate requests and keys in each FILE (PEM bundles or DER).
Private keys are never printed: only their algorithm, size and SPKI SHA-256.

Options:
  --json      machine-readable output (see docs/cli.md)
  -h, --help  this help

Exit codes: 0 all files read, 2 usage error or unreadable file.`;

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show certificates, CSRs and keys in files',
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
    if (positionals.length === 0)
      throw new CliError('inspect needs at least one FILE. Run `mtlskit inspect --help`.');
    const style = makeStyle({ isTTY: ctx.io.stdout.isTTY, json: values.json, env: ctx.env });
    const files: { file: string; items: InspectItem[] }[] = [];
    for (const file of positionals) {
      const bytes = await readBytes(file, ctx.cwd);
      try {
        files.push({ file, items: await inspectFile(bytes) });
      } catch (e) {
        throw new FileError(file, e);
      }
    }
    if (values.json) {
      ctx.out(JSON.stringify({ files }, null, 2));
      return 0;
    }
    const parts: string[] = [];
    for (const { file, items } of files) {
      items.forEach((item, i) => {
        const title =
          item.type === 'other' ? `PEM block "${item.label}" (not inspected)` : item.type.replace('-', ' ');
        parts.push(
          `${style.bold(file)} ${style.dim(`[${i + 1}/${items.length}]`)} ${title}\n${renderItem(item, style)}`,
        );
      });
      if (items.length === 0) parts.push(`${style.bold(file)}: no PEM blocks`);
    }
    ctx.out(parts.join('\n\n'));
    return 0;
  },
};
