import { randomInt } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { type CertificateAuthority, createCertificateAuthority, parseCertificate } from '@mtlskit/core';
import { attachCredentials, FileCredentialSource } from '@mtlskit/node-adapter';

/** Options of {@link runKubernetesSecretVolume}. */
export interface KubernetesSecretVolumeOptions {
  /** How many times the Secret is updated after the first projection. Default `3`. */
  swaps?: number;
  /** Pause between two updates, ms. Default `1_500`. */
  swapEveryMs?: number;
  /**
   * Polling backstop of the source, ms. Default `600_000`: long on purpose, so the reloads
   * you see come from the directory watch, not from polling.
   */
  pollIntervalMs?: number;
  /** Give up waiting for a reload after this long, ms. Default `10_000`. */
  reloadTimeoutMs?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** One Secret update and what followed. */
export interface SwapRecord {
  /** The timestamped directory `..data` pointed to after the swap. */
  dataDir: string;
  writtenSerial: string;
  /** The source's generation after the reload. */
  generation: number;
  /** Serial of the certificate the https server presented in a real handshake after the reload. */
  servedSerial: string;
  /** How long from the `..data` swap to the `update` event, ms. */
  reloadMs: number;
  /** Events a plain `fs.watch` on `tls.crt` delivered for this swap. */
  plainWatchEvents: number;
}

/** What {@link runKubernetesSecretVolume} saw. */
export interface KubernetesSecretVolumeResult {
  ok: boolean;
  /** The projection: the first certificate and the generation it became. */
  initialSerial: string;
  swaps: SwapRecord[];
  /** Errors the source reported (none expected: every snapshot is complete). */
  sourceErrors: string[];
}

// Node prints serials in upper case and may keep a leading zero byte; compare them bare.
const normalizeSerial = (serial: string): string => serial.replace(/^0+/, '').toLowerCase();

/** Formats a kubelet-style timestamped directory name, e.g. `..2026_11_26_13_33_34.482913057`. */
function timestampDir(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${randomInt(100_000_000, 999_999_999)}`;
}

/**
 * Writes a Secret volume exactly as the kubelet's atomic writer does: the files go into a
 * new timestamped directory, a `..data_tmp` symlink to it is renamed over `..data` (one
 * atomic step), and the user-visible `tls.crt`, `tls.key`, `ca.crt` are symlinks to
 * `..data/<name>` created once. The previous timestamped directory is then deleted.
 */
async function projectSecret(root: string, files: Record<string, string>): Promise<string> {
  const dataDir = timestampDir();
  await mkdir(join(root, dataDir), { mode: 0o755 });
  for (const [name, text] of Object.entries(files))
    await writeFile(join(root, dataDir, name), text, { mode: 0o644 });
  let previous: string | undefined;
  try {
    previous = await readlink(join(root, '..data'));
  } catch {
    previous = undefined;
  }
  await symlink(dataDir, join(root, '..data_tmp'));
  await rename(join(root, '..data_tmp'), join(root, '..data'));
  if (previous === undefined) {
    for (const name of Object.keys(files)) await symlink(join('..data', name), join(root, name));
  } else {
    await rm(join(root, previous), { recursive: true, force: true });
  }
  return dataDir;
}

async function issueServer(ca: CertificateAuthority) {
  return ca.issue({
    profile: 'server',
    subject: { commonName: 'web.default.svc' },
    dnsNames: ['web.default.svc', 'localhost'],
    ipAddresses: ['127.0.0.1'],
    validityMs: 3_600_000,
  });
}

/**
 * A `FileCredentialSource` on a directory laid out and updated like a Kubernetes TLS
 * Secret volume (`tls.crt`, `tls.key`, `ca.crt` → `..data/…` → `..<timestamp>/…`), serving
 * an https server through `attachCredentials`. The Secret is updated several times in a
 * row; every update is reloaded (the source watches the directory), while a plain
 * `fs.watch` on `tls.crt` only sees the first one.
 *
 * @example
 * ```ts
 * const result = await runKubernetesSecretVolume({ swaps: 3, swapEveryMs: 500, log: console.log });
 * console.log(result.swaps.map((s) => s.generation)); // [2, 3, 4]
 * ```
 */
export async function runKubernetesSecretVolume(
  options: KubernetesSecretVolumeOptions = {},
): Promise<KubernetesSecretVolumeResult> {
  const count = options.swaps ?? 3;
  const swapEvery = options.swapEveryMs ?? 1_500;
  const reloadTimeout = options.reloadTimeoutMs ?? 10_000;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const ca = await createCertificateAuthority({ subject: { commonName: 'cluster example CA' } });
  const client = await ca.issue({
    profile: 'client',
    subject: { commonName: 'frontend' },
    validityMs: 3_600_000,
  });
  const mount = await mkdtemp(join(tmpdir(), 'mtlskit-secret-volume-'));
  const secretFiles = (leaf: { chainPem: string; privateKeyPem?: string }) => ({
    'tls.crt': leaf.chainPem,
    'tls.key': leaf.privateKeyPem!,
    'ca.crt': ca.certificatePem,
  });

  const first = await issueServer(ca);
  const firstDir = await projectSecret(mount, secretFiles(first));
  log(`${stamp()}  secret projected into ${mount} (..data → ${firstDir})`);

  const source = new FileCredentialSource({
    dir: mount,
    purpose: 'serverAuth',
    debounceMs: 50,
    pollIntervalMs: options.pollIntervalMs ?? 600_000,
  });
  const sourceErrors: string[] = [];
  source.on('error', (e) => sourceErrors.push(`${e.code}: ${e.message}`));
  const server = https.createServer((_req, res) => res.end('ok'));
  const attached = attachCredentials(server, source);
  await attached.ready();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  log(`${stamp()}  https server on https://127.0.0.1:${port} serving generation ${source.generation}`);

  // What most code does, and why it breaks: a watch on the file itself follows the old
  // inode, which the kubelet deletes after the first swap.
  let plainEvents = 0;
  const plain: FSWatcher = watch(join(mount, 'tls.crt'), () => plainEvents++);
  plain.on('error', () => undefined);

  // A real handshake: which certificate does the server present right now?
  const servedSerial = () =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ca: ca.certificatePem,
        cert: client.chainPem,
        key: client.privateKeyPem!,
        servername: 'localhost',
      });
      socket.setTimeout(5_000, () => socket.destroy(new Error('handshake timeout')));
      socket.once('secureConnect', () => {
        const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
        socket.end();
        resolve(normalizeSerial(serial));
      });
      socket.once('error', reject);
    });

  const initialSerial = await servedSerial();
  log(`${stamp()}  handshake: server presents serial ${initialSerial}`);
  const swaps: SwapRecord[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      await new Promise((r) => setTimeout(r, swapEvery));
      const next = await issueServer(ca);
      const eventsBefore = plainEvents;
      const updated = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`swap ${i} was not reloaded`)), reloadTimeout);
        source.once('update', (c) => {
          clearTimeout(timer);
          resolve(c.generation);
        });
      });
      const swappedAt = Date.now();
      const dataDir = await projectSecret(mount, secretFiles(next));
      const generation = await updated;
      const reloadMs = Date.now() - swappedAt;
      // Let a late plain-watch event arrive before counting.
      await new Promise((r) => setTimeout(r, 100));
      const record: SwapRecord = {
        dataDir,
        writtenSerial: normalizeSerial(next.certificate.serialNumber),
        generation,
        servedSerial: await servedSerial(),
        reloadMs,
        plainWatchEvents: plainEvents - eventsBefore,
      };
      swaps.push(record);
      log(
        `${stamp()}  swap ${i}: ..data → ${dataDir}; reloaded in ${reloadMs} ms as generation ${generation}; handshake shows serial ${record.servedSerial}; plain fs.watch on tls.crt fired ${record.plainWatchEvents} time(s)`,
      );
    }
  } finally {
    plain.close();
    source.close();
    attached.detach();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(mount, { recursive: true, force: true });
  }

  const firstSerial = normalizeSerial(parseCertificate(first.certificatePem).serialNumber);
  return {
    ok:
      initialSerial === firstSerial &&
      swaps.length === count &&
      swaps.every((s, i) => s.generation === i + 2 && s.servedSerial === s.writtenSerial) &&
      sourceErrors.length === 0,
    initialSerial,
    swaps,
    sourceErrors,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runKubernetesSecretVolume({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\n${r.swaps.length} secret updates, ${r.swaps.filter((s) => s.servedSerial === s.writtenSerial).length} served without a restart; a plain fs.watch saw ${r.swaps.filter((s) => s.plainWatchEvents > 0).length} of them`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.sourceErrors.join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`kubernetes-secret-volume failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
