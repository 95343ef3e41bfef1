import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { parseCertificate } from '@mtlskit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openssl } from '../helpers/openssl.js';
import { run } from '../helpers/run.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtlskit-gen-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('mtlskit gen', () => {
  it('gen all writes a CA, server and client that openssl verifies for their purposes, keys 0600 even with umask 000', async () => {
    const old = process.umask(0);
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(
        ['gen', 'all', '--out', 'pki', '--cn', 'agent-7', '--san', 'spiffe://example.org/agent-7'],
        { cwd: dir },
      );
    } finally {
      process.umask(old);
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = join(dir, 'pki');
    expect(await mode(out)).toBe(0o700);
    for (const key of ['ca.key', 'server.key', 'client.key']) expect(await mode(join(out, key))).toBe(0o600);
    for (const crt of ['ca.crt', 'server.crt', 'client.crt']) expect(await mode(join(out, crt))).toBe(0o644);
    const ca = join(out, 'ca.crt');
    const server = await openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      ca,
      join(out, 'server.crt'),
    ]);
    const client = await openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      '-CAfile',
      ca,
      join(out, 'client.crt'),
    ]);
    expect(server.code).toBe(0);
    expect(client.code).toBe(0);
    const clientInfo = parseCertificate(await readFile(join(out, 'client.crt'), 'utf8'));
    expect(clientInfo.commonName).toBe('agent-7');
    expect(clientInfo.uris).toEqual(['spiffe://example.org/agent-7']);
    expect(parseCertificate(await readFile(join(out, 'server.crt'), 'utf8')).ipAddresses).toEqual([
      '127.0.0.1',
      '::1',
    ]);
    expect(result.stdout).toContain('mode 0600');
    expect(result.stdout).not.toContain('PRIVATE KEY');
  });

  it('its output completes a real mTLS handshake on 127.0.0.1', async () => {
    expect(
      (await run(['gen', 'all', '--out', dir, '--force', '--key-type', 'rsa-2048'], { cwd: dir })).code,
    ).toBe(0);
    const read = (f: string) => readFile(join(dir, f), 'utf8');
    const server = tls.createServer(
      {
        cert: await read('server.crt'),
        key: await read('server.key'),
        ca: await read('ca.crt'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => s.end(String(s.getPeerCertificate().subject?.CN)),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = {
        ca: await read('ca.crt'),
        cert: await read('client.crt'),
        key: await read('client.key'),
      };
      const seen = await new Promise<string>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...client });
        let data = '';
        c.on('data', (d) => {
          data += d;
        });
        c.on('end', () => resolve(data));
        c.on('error', reject);
      });
      expect(seen).toBe('agent');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('signs more identities with an existing CA, and writes a Kubernetes Secret on request', async () => {
    expect((await run(['gen', 'ca', '--out', dir, '--cn', 'Team Root', '--days', '10'])).code).toBe(0);
    const r = await run([
      'gen',
      'server',
      '--out',
      dir,
      '--name',
      'api',
      '--san',
      'api.internal,10.0.0.7',
      '--k8s-secret',
      '--namespace',
      'prod',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      written: { kind: string; sans: string[]; secretManifest?: string }[];
    };
    expect(json.written[0]).toMatchObject({ kind: 'server', sans: ['api.internal', '10.0.0.7'] });
    const manifest = await readFile(join(dir, 'api-secret.yaml'), 'utf8');
    expect(manifest).toContain('kind: Secret');
    expect(manifest).toContain('type: kubernetes.io/tls');
    expect(manifest).toContain('namespace: prod');
    const field = (k: string) =>
      Buffer.from(new RegExp(`  ${k.replace('.', '\\.')}: (\\S+)`).exec(manifest)![1]!, 'base64').toString();
    expect(field('tls.crt')).toBe(await readFile(join(dir, 'api.crt'), 'utf8'));
    expect(field('tls.key')).toBe(await readFile(join(dir, 'api.key'), 'utf8'));
    expect(field('ca.crt')).toBe(await readFile(join(dir, 'ca.crt'), 'utf8'));
    expect(await mode(join(dir, 'api-secret.yaml'))).toBe(0o600);
    const v = await openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      join(dir, 'ca.crt'),
      join(dir, 'api.crt'),
    ]);
    expect(v.code).toBe(0);
    expect(parseCertificate(await readFile(join(dir, 'ca.crt'), 'utf8')).commonName).toBe('Team Root');
  });

  it('refuses to overwrite without --force and writes nothing then', async () => {
    expect((await run(['gen', 'ca', '--out', dir])).code).toBe(0);
    const before = await readFile(join(dir, 'ca.crt'), 'utf8');
    const again = await run(['gen', 'all', '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exist.*--force/);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(before);
    await expect(lstat(join(dir, 'server.crt'))).rejects.toThrow();
    expect((await run(['gen', 'all', '--out', dir, '--force'])).code).toBe(0);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).not.toBe(before);
  });

  it('refuses a symlink planted at a key path, bad options, and a missing CA with one-line errors', async () => {
    expect((await run(['gen', 'ca', '--out', dir])).code).toBe(0);
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'do not touch');
    await symlink(victim, join(dir, 'client.key'));
    const planted = await run(['gen', 'client', '--out', dir, '--force']);
    expect(planted.code).toBe(2);
    expect(planted.stderr).toMatch(/symbolic link/);
    expect(await readFile(victim, 'utf8')).toBe('do not touch');
    expect((await run(['gen', 'client', '--out', dir, '--key-type', 'dsa'])).stderr).toMatch(
      /--key-type "dsa"/,
    );
    expect((await run(['gen', 'server', '--out', join(dir, 'empty')])).stderr).toMatch(
      /no CA certificate.*gen ca/,
    );
    expect((await run(['gen'])).code).toBe(2);
    expect((await run(['gen', 'client', '--out', dir, '--days', '0', '--force'])).stderr).toMatch(/--days/);
    const wrongKey = await run([
      'gen',
      'client',
      '--out',
      dir,
      '--name',
      'x',
      '--ca-key',
      join(dir, 'ca.crt'),
    ]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
