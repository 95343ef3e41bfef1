import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { createCertificateAuthority, parseCertificate } from '@mtlskit/core';
import { attachCredentials, FileCredentialSource, getPeerIdentity } from '@mtlskit/node-adapter';

/** Options of {@link runHotReloadServer}. */
export interface HotReloadServerOptions {
  /** Lifetime of each server certificate written to disk, ms. Default `6_000`. */
  certificateLifetimeMs?: number;
  /** How often new files are written (a renewal by cert-manager, certbot, a CI job…), ms. Default `3_000`. */
  rotateEveryMs?: number;
  /** How many times the files are replaced. Default `3`. */
  rotations?: number;
  /** Pause between two client calls, ms. Default `100`. */
  requestIntervalMs?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** What {@link runHotReloadServer} saw. */
export interface HotReloadServerResult {
  ok: boolean;
  /** Serials written to disk, in order. */
  writtenSerials: string[];
  /** Distinct server certificate serials the client saw in its handshakes, in order of first sight. */
  servedSerials: string[];
  requestsOk: number;
  requestsFailed: number;
  failures: string[];
  /**
   * Error codes of reads the source refused, e.g. a new key next to the old certificate
   * caught between two renames: the previous generation stayed in service meanwhile.
   */
  refusedReads: string[];
  /** The port at the start and at the end: the same listening socket, no restart. */
  portAtStart: number;
  portAtEnd: number;
  /** How often the server emitted `listening` (1: never restarted). */
  listenEvents: number;
  /** Generations the server went through (`attachCredentials` swaps). */
  swaps: number;
  /**
   * The control: an https server that read the first files once at start, the usual way.
   * After the first certificate's lifetime its clients fail with this error code.
   */
  staticServerError: string | undefined;
}

const normalize = (serial: string): string => serial.replace(/^0+/, '').toLowerCase();

/**
 * An https server whose certificate files are replaced on disk while a client keeps
 * calling it: `FileCredentialSource` notices the new files, validates them and
 * `attachCredentials` swaps them into the running server, with no restart. A second
 * server that read the files once at start keeps serving the first certificate until it
 * expires, which is the "rotated in the secret but the proxy kept the expired cert" bug.
 *
 * @example
 * ```ts
 * const result = await runHotReloadServer({ certificateLifetimeMs: 3_000, rotateEveryMs: 1_500, log: console.log });
 * console.log(result.servedSerials); // one serial per file rotation
 * ```
 */
export async function runHotReloadServer(
  options: HotReloadServerOptions = {},
): Promise<HotReloadServerResult> {
  const lifetime = options.certificateLifetimeMs ?? 6_000;
  const rotateEvery = options.rotateEveryMs ?? 3_000;
  const rotations = options.rotations ?? 3;
  const pause = options.requestIntervalMs ?? 100;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const ca = await createCertificateAuthority({ subject: { commonName: 'hot-reload example CA' } });
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-hot-reload-'));
  const files = {
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    caFile: join(dir, 'ca.crt'),
  };

  // Each file is replaced atomically (write, then rename), as renewal tools do; the source
  // reads the three as one consistent snapshot.
  const writeAtomic = async (file: string, text: string, mode: number) => {
    await writeFile(`${file}.tmp`, text, { mode });
    await rename(`${file}.tmp`, file);
  };
  const writtenSerials: string[] = [];
  const renewFiles = async () => {
    const now = Date.now();
    const issued = await ca.issue({
      profile: 'server',
      subject: { commonName: 'api.local' },
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(now - 1_000),
      notAfter: new Date(now + lifetime),
    });
    await writeAtomic(files.caFile, ca.certificatePem, 0o644);
    await writeAtomic(files.keyFile, issued.privateKeyPem!, 0o600);
    await writeAtomic(files.certFile, issued.chainPem, 0o644);
    writtenSerials.push(issued.certificate.serialNumber);
    return issued;
  };

  const first = await renewFiles();
  log(
    `${stamp()}  wrote ${files.certFile} (serial ${first.certificate.serialNumber}, valid ${lifetime / 1000} s)`,
  );

  // The client: one identity from the same CA, verifying the server at every new connection.
  const client = await ca.issue({
    profile: 'client',
    subject: { commonName: 'caller' },
    validityMs: 3_600_000,
  });
  const clientAgent = new https.Agent({
    keepAlive: true,
    cert: client.chainPem,
    key: client.privateKeyPem!,
    ca: ca.certificatePem,
  });

  const source = new FileCredentialSource({
    ...files,
    purpose: 'serverAuth',
    debounceMs: 50,
    pollIntervalMs: 1_000,
  });
  const sourceErrors: string[] = [];
  source.on('error', (e) => sourceErrors.push(e.code));

  let listenEvents = 0;
  const server = https.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ hello: getPeerIdentity(req)?.commonName ?? null }));
  });
  server.on('listening', () => listenEvents++);
  const attached = attachCredentials(server, source);
  let swaps = 0;
  attached.on('swap', ({ to }: { from: number; to: number }) => {
    swaps++;
    const serial = parseCertificate(source.current().certificateChainPem).serialNumber;
    log(`${stamp()}  server swapped to generation ${to} (serial ${serial}) — same process, same socket`);
  });
  await attached.ready();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  log(`${stamp()}  https server with hot reload on https://127.0.0.1:${port}`);

  // The control: the same first files, read once, the way most servers load certificates.
  const staticServer = https.createServer(
    { cert: first.chainPem, key: first.privateKeyPem!, ca: ca.certificatePem, requestCert: true },
    (_req, res) => res.end('{}'),
  );
  await new Promise<void>((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
  const staticPort = (staticServer.address() as AddressInfo).port;
  log(`${stamp()}  control server (reads the files once) on https://127.0.0.1:${staticPort}`);

  const call = (p: number) =>
    new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: p, path: '/hello', agent: clientAgent, timeout: 5_000 },
        (res) => {
          const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve(serial) : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });

  const servedSerials: string[] = [];
  const failures: string[] = [];
  let requestsOk = 0;
  let requestsFailed = 0;
  let staticServerError: string | undefined;
  let stop = false;
  let portAtEnd = 0;
  const loop = (async () => {
    while (!stop) {
      try {
        const serial = await call(port);
        requestsOk++;
        if (!servedSerials.some((s) => normalize(s) === normalize(serial))) {
          servedSerials.push(serial.toLowerCase());
          log(`${stamp()}  client sees server certificate serial ${serial.toLowerCase()}`);
        }
      } catch (e) {
        requestsFailed++;
        if (failures.length < 10) failures.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  })();

  try {
    for (let i = 1; i <= rotations; i++) {
      await new Promise((r) => setTimeout(r, rotateEvery));
      const issued = await renewFiles();
      log(`${stamp()}  renewed the files on disk (serial ${issued.certificate.serialNumber})`);
    }
    // Give the last generation time to be served, and the first certificate time to expire.
    const firstExpires = first.certificate.notAfter.getTime() + 1_000;
    await new Promise((r) => setTimeout(r, Math.max(rotateEvery, firstExpires - Date.now())));
    stop = true;
    await loop;
    try {
      await call(staticPort);
      log(`${stamp()}  control server: still accepted (its certificate has not expired yet)`);
    } catch (e) {
      staticServerError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      log(
        `${stamp()}  control server: client refuses it with ${staticServerError} — it kept the first certificate`,
      );
    }
  } finally {
    stop = true;
    await loop;
    portAtEnd = (server.address() as AddressInfo | null)?.port ?? 0;
    clientAgent.destroy();
    source.close();
    attached.detach();
    server.closeAllConnections();
    staticServer.closeAllConnections();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => staticServer.close(r))]);
    await rm(dir, { recursive: true, force: true });
  }

  const result: HotReloadServerResult = {
    ok: false,
    writtenSerials,
    servedSerials,
    requestsOk,
    requestsFailed,
    failures,
    refusedReads: sourceErrors,
    portAtStart: port,
    portAtEnd,
    listenEvents,
    swaps,
    staticServerError,
  };
  result.ok =
    requestsFailed === 0 &&
    listenEvents === 1 &&
    port === portAtEnd &&
    staticServerError === 'CERT_HAS_EXPIRED' &&
    writtenSerials.every((w) => servedSerials.some((s) => normalize(s) === normalize(w)));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runHotReloadServer({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nrequests ok ${r.requestsOk}, failed ${r.requestsFailed}; serials served ${r.servedSerials.length} of ${r.writtenSerials.length} written; server restarts 0 (listening events: ${r.listenEvents}, port ${r.portAtStart} → ${r.portAtEnd})`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.failures.join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`hot-reload-server failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
