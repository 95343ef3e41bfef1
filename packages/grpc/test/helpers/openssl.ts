import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The certificate a server presents to a new connection, as `openssl s_client` (the
 * independent oracle) sees it: its SHA-256 fingerprint in openssl's `AA:BB:…` form.
 */
export async function presentedFingerprint(
  port: number,
  client: { certificateChainPem: string; privateKeyPem: string; trustAnchorsPem: string },
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-grpc-'));
  try {
    const cert = join(dir, 'c.pem');
    const key = join(dir, 'k.pem');
    const ca = join(dir, 'ca.pem');
    writeFileSync(cert, client.certificateChainPem);
    writeFileSync(key, client.privateKeyPem, { mode: 0o600 });
    writeFileSync(ca, client.trustAnchorsPem);
    const shown = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${port}`,
          '-alpn',
          'h2',
          '-cert',
          cert,
          '-key',
          key,
          '-CAfile',
          ca,
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', reject);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(out);
      });
      child.stdin.end();
    });
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(shown)?.[0];
    if (pem === undefined) throw new Error(`openssl s_client showed no certificate:\n${shown.slice(0, 500)}`);
    const fp = await new Promise<string>((resolve, reject) => {
      const child = execFile('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      );
      child.stdin?.end(pem);
    });
    return fp.trim().replace(/^.*=/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
