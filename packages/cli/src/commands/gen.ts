import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CertificateAuthority,
  createCertificateAuthority,
  importPrivateKey,
  type KeyAlgorithm,
  keyMatchesCertificate,
  parseCertificate,
} from '@mtlskit/core';
import { CliError } from '../lib/cli-error.js';
import type { Command, CommandContext } from '../lib/command-context.js';
import { parsePositiveInt } from '../lib/parse-common.js';
import { certificatesFrom, readPrivateKeyPem } from '../lib/read-input.js';

const HELP = `Usage: mtlskit gen ca|server|client|all [options]

Generates a development PKI: a CA, server certificates and client certificates.
Keys are written with mode 0600; nothing is overwritten without --force.

  gen ca       OUT/ca.crt, OUT/ca.key
  gen server   OUT/NAME.crt, OUT/NAME.key (serverAuth), signed by OUT/ca.crt + OUT/ca.key
  gen client   OUT/NAME.crt, OUT/NAME.key (clientAuth), signed by OUT/ca.crt + OUT/ca.key
  gen all      a CA, a server (localhost, 127.0.0.1) and a client (agent) in one go

Options:
  --out DIR         output directory (default: ./certs), created 0700 if missing
  --cn NAME         common name (ca: "mtlskit dev CA", server: first DNS SAN or "localhost",
                    client: "agent")
  --san VALUE       subject alternative name, repeatable: a DNS name, an IP address,
                    a URI (spiffe://…) or an email address
  --name BASENAME   file name of the identity (default: server / client)
  --days N          validity in days (default: ca 365, others 30)
  --key-type T      ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519
  --ca FILE         CA certificate to sign with (default: OUT/ca.crt)
  --ca-key FILE     CA private key (default: OUT/ca.key)
  --k8s-secret      also write OUT/NAME-secret.yaml, a Kubernetes Secret (tls.crt, tls.key, ca.crt)
  --namespace NS    namespace of the Secret manifest (default: none)
  --force           overwrite existing files
  --json            print what was written as JSON (paths and fingerprints, never keys)
  -h, --help        this help

Exit codes: 0 written, 2 usage or input error (nothing written).`;

const KEY_TYPES: Record<string, KeyAlgorithm> = {
  'ecdsa-p256': 'ECDSA-P256',
  'ecdsa-p384': 'ECDSA-P384',
  'rsa-2048': 'RSA-2048',
  'rsa-3072': 'RSA-3072',
  'rsa-4096': 'RSA-4096',
  ed25519: 'Ed25519',
};

interface PlannedFile {
  path: string;
  content: string;
  secret: boolean;
}

interface WrittenIdentity {
  kind: 'ca' | 'server' | 'client';
  certificate: string;
  key: string;
  secretManifest?: string;
  subject: string;
  fingerprintSha256: string;
  notAfter: string;
  sans: string[];
}

function splitSans(sans: readonly string[]): {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emails: string[];
} {
  const out = {
    dnsNames: [] as string[],
    ipAddresses: [] as string[],
    uris: [] as string[],
    emails: [] as string[],
  };
  for (const raw of sans) {
    for (const san of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const bare = san.replace(/^\[(.*)\]$/, '$1');
      if (isIP(bare)) out.ipAddresses.push(bare);
      else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(san)) out.uris.push(san);
      else if (san.includes('@')) out.emails.push(san);
      else out.dnsNames.push(san);
    }
  }
  return out;
}

function secretManifest(
  name: string,
  namespace: string | undefined,
  cert: string,
  key: string,
  ca: string,
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const safeName =
    name
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'mtls';
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${safeName}-tls`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    'type: kubernetes.io/tls',
    'data:',
    `  tls.crt: ${b64(cert)}`,
    `  tls.key: ${b64(key)}`,
    `  ca.crt: ${b64(ca)}`,
    '',
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes through a temporary file and a rename, refusing to follow a symlink planted at the target. */
async function writeFileSafely(file: PlannedFile, force: boolean): Promise<void> {
  const stat = await lstat(file.path).catch(() => undefined);
  if (stat?.isSymbolicLink())
    throw new CliError(`${file.path} is a symbolic link; refusing to write through it.`);
  if (stat && !force) throw new CliError(`${file.path} exists; pass --force to overwrite it.`);
  const tmp = `${file.path}.tmp-${process.pid}`;
  const handle = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    file.secret ? 0o600 : 0o644,
  );
  try {
    await handle.writeFile(file.content);
    // The mode passed to open() is filtered by the umask: set it explicitly.
    await handle.chmod(file.secret ? 0o600 : 0o644);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file.path).catch(async (e) => {
    await rm(tmp, { force: true });
    throw e;
  });
}

async function loadCa(certFile: string, keyFile: string): Promise<CertificateAuthority> {
  // One after the other, so the message names the first thing missing. PEM or DER.
  const certBytes = await readFile(certFile).catch(() => {
    throw new CliError(`no CA certificate at ${certFile}; run \`mtlskit gen ca\` first or pass --ca.`);
  });
  await readFile(keyFile).catch(() => {
    throw new CliError(`no CA key at ${keyFile}; run \`mtlskit gen ca\` first or pass --ca-key.`);
  });
  const keyPem = await readPrivateKeyPem(keyFile, '/');
  const certPem = certificatesFrom(certBytes)[0]?.pem ?? '';
  const cert = parseCertificate(certPem);
  if (!cert.isCA) throw new CliError(`${certFile} is not a CA certificate (basicConstraints CA:FALSE).`);
  const key = await importPrivateKey(keyPem);
  if (!(await keyMatchesCertificate(key, cert)))
    throw new CliError(`${keyFile} is not the key of ${certFile}.`);
  return new CertificateAuthority(cert, key, '');
}

export const genCommand: Command = {
  name: 'gen',
  summary: 'generate a development CA, server and client certificates (keys 0600)',
  help: HELP,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        cn: { type: 'string' },
        san: { type: 'string', multiple: true },
        name: { type: 'string' },
        days: { type: 'string' },
        'key-type': { type: 'string' },
        ca: { type: 'string' },
        'ca-key': { type: 'string' },
        'k8s-secret': { type: 'boolean', default: false },
        namespace: { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      ctx.out(HELP);
      return 0;
    }
    const kind = positionals[0];
    if (!kind || !['ca', 'server', 'client', 'all'].includes(kind) || positionals.length > 1) {
      throw new CliError('gen needs one of: ca, server, client, all.');
    }
    const keyType = values['key-type'] ?? 'ecdsa-p256';
    const keyAlgorithm = KEY_TYPES[keyType];
    if (!keyAlgorithm)
      throw new CliError(`--key-type "${keyType}" is not one of ${Object.keys(KEY_TYPES).join(', ')}.`);
    const days = parsePositiveInt('days', values.days);
    if (days === 0) throw new CliError('--days must be at least 1.');
    const dayMs = 86_400_000;
    const out = resolve(ctx.cwd, values.out ?? 'certs');
    const force = values.force ?? false;
    const planned: PlannedFile[] = [];
    const written: WrittenIdentity[] = [];

    let ca: CertificateAuthority;
    let caKeyPem: string | undefined;
    if (kind === 'ca' || kind === 'all') {
      ca = await createCertificateAuthority({
        subject: { commonName: kind === 'ca' ? (values.cn ?? 'mtlskit dev CA') : 'mtlskit dev CA' },
        keyAlgorithm,
        validityMs: (kind === 'ca' ? (days ?? 365) : 365) * dayMs,
      });
      caKeyPem = await ca.privateKeyPem();
      planned.push({ path: join(out, 'ca.crt'), content: ca.certificatePem, secret: false });
      planned.push({ path: join(out, 'ca.key'), content: caKeyPem, secret: true });
      written.push({
        kind: 'ca',
        certificate: join(out, 'ca.crt'),
        key: join(out, 'ca.key'),
        subject: ca.certificate.subject,
        fingerprintSha256: ca.certificate.fingerprintSha256,
        notAfter: ca.certificate.notAfter.toISOString(),
        sans: [],
      });
    } else {
      ca = await loadCa(
        resolve(ctx.cwd, values.ca ?? join(out, 'ca.crt')),
        resolve(ctx.cwd, values['ca-key'] ?? join(out, 'ca.key')),
      );
    }

    const leaves: { profile: 'server' | 'client'; name: string; cn: string; sans: string[] }[] = [];
    if (kind === 'server' || kind === 'client') {
      const sans = values.san ?? (kind === 'server' ? ['localhost', '127.0.0.1'] : []);
      const split = splitSans(sans);
      leaves.push({
        profile: kind,
        name: values.name ?? kind,
        cn: values.cn ?? (kind === 'server' ? (split.dnsNames[0] ?? 'localhost') : 'agent'),
        sans,
      });
    } else if (kind === 'all') {
      leaves.push({
        profile: 'server',
        name: 'server',
        cn: 'localhost',
        sans: ['localhost', '127.0.0.1', '::1'],
      });
      leaves.push({ profile: 'client', name: 'client', cn: values.cn ?? 'agent', sans: values.san ?? [] });
    }
    for (const leaf of leaves) {
      if (!/^[A-Za-z0-9._-]+$/.test(leaf.name))
        throw new CliError(`--name "${leaf.name}" may only use letters, digits, ".", "_" and "-".`);
      const issued = await ca.issue({
        profile: leaf.profile,
        subject: { commonName: leaf.cn },
        keyAlgorithm,
        validityMs: (days ?? 30) * dayMs,
        ...splitSans(leaf.sans),
      });
      const certPath = join(out, `${leaf.name}.crt`);
      const keyPath = join(out, `${leaf.name}.key`);
      planned.push({ path: certPath, content: issued.certificatePem, secret: false });
      planned.push({ path: keyPath, content: issued.privateKeyPem!, secret: true });
      let manifest: string | undefined;
      if (values['k8s-secret']) {
        manifest = join(out, `${leaf.name}-secret.yaml`);
        planned.push({
          path: manifest,
          content: secretManifest(
            leaf.name,
            values.namespace,
            issued.certificatePem,
            issued.privateKeyPem!,
            ca.certificatePem,
          ),
          secret: true,
        });
      }
      const c = issued.certificate;
      written.push({
        kind: leaf.profile,
        certificate: certPath,
        key: keyPath,
        ...(manifest ? { secretManifest: manifest } : {}),
        subject: c.subject,
        fingerprintSha256: c.fingerprintSha256,
        notAfter: c.notAfter.toISOString(),
        sans: [...c.dnsNames, ...c.ipAddresses, ...c.uris, ...c.emails],
      });
    }

    // Check every target before writing anything: a refused run leaves no partial PKI behind.
    if (!force) {
      const taken = [];
      for (const f of planned) if (await exists(f.path)) taken.push(f.path);
      if (taken.length)
        throw new CliError(
          `${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; pass --force to overwrite.`,
        );
    }
    const outStat = await lstat(out).catch(() => undefined);
    if (outStat?.isSymbolicLink())
      throw new CliError(`${out} is a symbolic link; pass a real directory as --out.`);
    if (!outStat) {
      await mkdir(out, { recursive: true, mode: 0o700 });
      await chmod(out, 0o700);
    } else if (!outStat.isDirectory()) throw new CliError(`${out} is not a directory.`);
    for (const f of planned) await writeFileSafely(f, force);

    if (values.json) {
      ctx.out(JSON.stringify({ out, written }, null, 2));
      return 0;
    }
    for (const w of written) {
      ctx.out(`${w.kind.padEnd(6)}  ${w.subject}${w.sans.length ? `  [${w.sans.join(', ')}]` : ''}`);
      ctx.out(
        `        ${w.certificate}  (SHA-256 ${w.fingerprintSha256.slice(0, 23)}…, until ${w.notAfter})`,
      );
      ctx.out(
        `        ${w.key}  (mode 0600)${w.secretManifest ? `\n        ${w.secretManifest}  (Kubernetes Secret, mode 0600)` : ''}`,
      );
    }
    return 0;
  },
};
