import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real `cfssl serve` on 127.0.0.1 with a CA made by `cfssl gencert -initca`. */
export interface CfsslServer {
  readonly url: string;
  readonly port: number;
  /** The CFSSL signing CA (what `/info` returns). */
  readonly caPem: string;
  /** Hex key of the `primary` auth key, which the `client` and `strict` profiles require. */
  readonly authKey: string;
  /** Stops `cfssl serve` (the CA and port are kept for {@link CfsslServer.start}). */
  stop(): Promise<void>;
  /** Starts `cfssl serve` again on the same port with the same CA. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

export interface CfsslServerOptions {
  /** TLS identity of the server (`-tls-cert`/`-tls-key`); plain http when unset. */
  tls?: { certificatePem: string; privateKeyPem: string };
  /** `expiry` of the `client` profile. Default `'1h'`. */
  clientExpiry?: string;
}

/** Throws (never skips) when the cfssl binary is missing: CI installs golang-cfssl. */
export function requireCfssl(): void {
  const r = spawnSync('cfssl', ['version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      'cfssl is not installed: these tests need a real CFSSL (Debian: apt-get install golang-cfssl; .ci/run does it).',
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Creates a CFSSL CA in a temp dir and starts `cfssl serve` with profiles:
 * `client` (auth key `primary`, `client auth`, backdate 31 s), `open` (no auth),
 * `strict` (auth, name whitelist `^only\.example$`, so any agent CSR breaks policy).
 */
export async function startCfsslServer(options: CfsslServerOptions = {}): Promise<CfsslServer> {
  requireCfssl();
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-cfssl-'));
  const authKey = randomBytes(16).toString('hex');
  writeFileSync(
    join(dir, 'ca-csr.json'),
    JSON.stringify({
      CN: 'mtlskit CFSSL e2e CA',
      key: { algo: 'ecdsa', size: 256 },
      names: [{ O: 'mtlskit' }],
    }),
  );
  const gen = spawnSync('cfssl', ['gencert', '-initca', 'ca-csr.json'], { cwd: dir, encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`cfssl gencert -initca failed: ${gen.stderr.slice(-500)}`);
  const made = JSON.parse(gen.stdout) as { cert: string; key: string };
  writeFileSync(join(dir, 'ca.pem'), made.cert);
  writeFileSync(join(dir, 'ca-key.pem'), made.key, { mode: 0o600 });
  const usages = ['signing', 'digital signature', 'key encipherment', 'client auth'];
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      signing: {
        default: { expiry: '1h', usages },
        profiles: {
          client: { expiry: options.clientExpiry ?? '1h', backdate: '31s', usages, auth_key: 'primary' },
          open: { expiry: '1h', backdate: '31s', usages },
          strict: { expiry: '1h', usages, name_whitelist: '^only\\.example$', auth_key: 'primary' },
        },
      },
      auth_keys: { primary: { type: 'standard', key: authKey } },
    }),
  );
  const args = ['-ca', 'ca.pem', '-ca-key', 'ca-key.pem', '-config', 'config.json'];
  if (options.tls !== undefined) {
    writeFileSync(join(dir, 'tls.pem'), options.tls.certificatePem);
    writeFileSync(join(dir, 'tls-key.pem'), options.tls.privateKeyPem, { mode: 0o600 });
    args.push('-tls-cert', 'tls.pem', '-tls-key', 'tls-key.pem');
  }
  const port = await freePort();
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => c.kill('SIGKILL'), 3_000);
      c.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      c.kill('SIGTERM');
    });
  };

  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    let log = '';
    const c = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString('utf8')).slice(-2_000);
    });
    const end = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`cfssl serve exited (${c.exitCode}): ${log}`);
      if (await canConnect(port)) return;
      if (Date.now() > end) {
        await stop();
        throw new Error(`cfssl serve did not listen on ${port} within 15 s: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await start();
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    caPem: made.cert,
    authKey,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
