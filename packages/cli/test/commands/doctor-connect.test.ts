import { type ChildProcess, spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, run, workDir } from '../helpers/run.js';

const DAY = 86_400_000;
type Doctor = {
  ok: boolean;
  findings: { code: string; severity: string; message: string; fix: string; about: string }[];
  connection: {
    protocol: string | null;
    outcome: string;
    serverVerified: boolean | null;
    clientCertificateAccepted: boolean | null;
  };
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('mtlskit doctor --connect (real handshakes on 127.0.0.1)', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  let serverRoot: CertificateAuthority;
  let foreignRoot: CertificateAuthority;
  const f: Record<string, string> = {};
  const servers: Server[] = [];
  let opensslServer: ChildProcess | undefined;
  let opensslPort = 0;
  let serverCert: Awaited<ReturnType<CertificateAuthority['issue']>>;

  const nodeServer = async (maxVersion: 'TLSv1.2' | 'TLSv1.3') => {
    const server = createServer({
      cert: serverCert.chainPem,
      key: serverCert.privateKeyPem!,
      ca: serverRoot.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxVersion,
    });
    server.on('secureConnection', (s: TLSSocket) => s.on('error', () => {}));
    server.on('tlsClientError', () => {});
    servers.push(server);
    return listen(server);
  };
  const doctor = async (args: string[]) => {
    const r = await run(['doctor', ...args, '--json', '--wait', '700']);
    expect(r.stderr).toBe('');
    return { code: r.code, body: json<Doctor>(r.stdout) };
  };

  beforeAll(async () => {
    w = await workDir();
    serverRoot = await createCertificateAuthority({
      subject: { commonName: 'Service Root', organization: 'Example' },
    });
    foreignRoot = await createCertificateAuthority({ subject: { commonName: 'Other Team Root' } });
    serverCert = await serverRoot.issue({
      profile: 'server',
      subject: { commonName: 'localhost' },
      ipAddresses: ['127.0.0.1'],
      dnsNames: ['localhost'],
    });
    const good = await serverRoot.issue({ subject: { commonName: 'agent-1' }, validityMs: 30 * DAY });
    const foreign = await foreignRoot.issue({ subject: { commonName: 'agent-2' }, validityMs: 30 * DAY });
    f.ca = await w.file('ca.pem', serverRoot.certificatePem);
    // The client's CA file knows both CAs: offline all is well, only the server disagrees.
    f.both = await w.file('both.pem', serverRoot.certificatePem + foreignRoot.certificatePem);
    f.foreignOnly = await w.file('foreign-ca.pem', foreignRoot.certificatePem);
    f.good = await w.file('good.pem', good.chainPem);
    f.goodKey = await w.file('good.key', good.privateKeyPem!);
    f.foreign = await w.file('foreign.pem', foreign.chainPem);
    f.foreignKey = await w.file('foreign.key', foreign.privateKeyPem!);
    f.serverCert = await w.file('server.pem', serverCert.chainPem);
    f.serverKey = await w.file('server.key', serverCert.privateKeyPem!);

    opensslPort = await freePort();
    // Without -verify_return_error s_server logs a failed client verification but carries on.
    opensslServer = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${opensslPort}`,
        '-cert',
        f.serverCert,
        '-key',
        f.serverKey,
        '-CAfile',
        f.ca,
        '-Verify',
        '1',
        '-verify_return_error',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    // s_server prints ACCEPT once it listens (the data listeners also keep its pipes drained).
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('openssl s_server did not start')), 15_000);
      const onData = (d: Buffer) => {
        if (d.toString().includes('ACCEPT')) {
          clearTimeout(timer);
          resolve();
        }
      };
      opensslServer!.stdout!.on('data', onData);
      opensslServer!.stderr!.on('data', onData);
      opensslServer!.on('exit', (code) => reject(new Error(`openssl s_server exited with ${code}`)));
    });
  });

  afterAll(async () => {
    if (opensslServer && opensslServer.exitCode === null) {
      const exited = new Promise((r) => opensslServer!.once('exit', r));
      opensslServer.kill('SIGTERM');
      await exited;
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await w.cleanup();
  });

  it('completes a handshake the server accepts (TLS 1.3)', async () => {
    const port = await nodeServer('TLSv1.3');
    const { code, body } = await doctor([
      '--cert',
      f.good!,
      '--key',
      f.goodKey!,
      '--ca',
      f.ca!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(body.findings.map((x) => x.code)).toEqual(['OK', 'HANDSHAKE_OK']);
    expect(code).toBe(0);
    expect(body.connection.protocol).toBe('TLSv1.3');
    expect(body.connection.serverVerified).toBe(true);
    expect(body.connection.clientCertificateAccepted).toBe(true);
  }, 60_000);

  it('detects a TLS 1.3 server that rejects the client certificate after the handshake', async () => {
    const port = await nodeServer('TLSv1.3');
    const { code, body } = await doctor([
      '--cert',
      f.foreign!,
      '--key',
      f.foreignKey!,
      '--ca',
      f.both!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    const rejected = body.findings.find((x) => x.code === 'CLIENT_CERT_REJECTED')!;
    expect(rejected.message).toContain('TLS 1.3');
    expect(rejected.message).toContain('Likely causes');
    expect(body.connection.outcome).toBe('closed-after-handshake');
    expect(body.connection.clientCertificateAccepted).toBe(false);
    // Offline the certificate was fine: only the live handshake shows the problem.
    expect(body.findings.map((x) => x.code)).not.toContain('OK');
  }, 60_000);

  it('detects a TLS 1.2 server that rejects the client certificate during the handshake', async () => {
    const port = await nodeServer('TLSv1.2');
    const { code, body } = await doctor([
      '--cert',
      f.foreign!,
      '--key',
      f.foreignKey!,
      '--ca',
      f.both!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    expect(body.findings.map((x) => x.code)).toContain('CLIENT_CERT_REJECTED');
    expect(body.connection.clientCertificateAccepted).toBe(false);
    // TLS 1.2 happy path, for contrast.
    const ok = await doctor([
      '--cert',
      f.good!,
      '--key',
      f.goodKey!,
      '--ca',
      f.ca!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.body.connection.protocol).toBe('TLSv1.2');
  }, 60_000);

  it('says when the server chain does not verify against --server-ca', async () => {
    const port = await nodeServer('TLSv1.3');
    const { code, body } = await doctor([
      '--cert',
      f.foreign!,
      '--key',
      f.foreignKey!,
      '--ca',
      f.foreignOnly!,
      '--server-ca',
      f.foreignOnly!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    const untrusted = body.findings.find((x) => x.code === 'SERVER_UNTRUSTED')!;
    expect(untrusted.message).toContain('CN=localhost');
    expect(untrusted.message).toContain('--server-ca');
    expect(untrusted.severity).toBe('error');
    expect(untrusted.about).toBe('server');
    expect(body.connection.serverVerified).toBe(false);
  }, 60_000);

  it("--ca is your CA, --server-ca the server's: your own CA file alone adds no false SERVER_UNTRUSTED", async () => {
    // Clients come from "Client CA"; the server's own certificate from "Service Root".
    const clientCa = await createCertificateAuthority({ subject: { commonName: 'Client CA' } });
    const client = await clientCa.issue({ subject: { commonName: 'agent-9' }, validityMs: 30 * DAY });
    const cert = await w.file('c9.pem', client.chainPem);
    const key = await w.file('c9.key', client.privateKeyPem!);
    const clientCaFile = await w.file('client-ca.pem', clientCa.certificatePem);
    const server = createServer({
      cert: serverCert.chainPem,
      key: serverCert.privateKeyPem!,
      ca: clientCa.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('secureConnection', (s: TLSSocket) => s.on('error', () => {}));
    server.on('tlsClientError', () => {});
    servers.push(server);
    const port = await listen(server);
    const base = ['--cert', cert, '--key', key, '--ca', clientCaFile, '--connect', `127.0.0.1:${port}`];

    const ownOnly = await doctor(base);
    expect(ownOnly.body.findings.filter((x) => x.severity === 'error')).toEqual([]);
    const hint = ownOnly.body.findings.find((x) => x.code === 'SERVER_UNTRUSTED')!;
    expect(hint.severity).toBe('warning');
    expect(hint.message).toContain('--ca and the system roots');
    expect(hint.fix).toContain('--server-ca');
    expect(ownOnly.body.connection.clientCertificateAccepted).toBe(true);
    expect(ownOnly.code).toBe(0);

    const both = await doctor([...base, '--server-ca', f.ca!]);
    expect(both.body.findings.map((x) => x.code)).toEqual(['OK', 'HANDSHAKE_OK']);
    expect(both.body.findings.map((x) => x.about)).toEqual(['cert', 'connection']);
    expect(both.code).toBe(0);

    const wrong = await doctor([...base, '--server-ca', clientCaFile]);
    const untrusted = wrong.body.findings.find((x) => x.code === 'SERVER_UNTRUSTED')!;
    expect(untrusted.severity).toBe('error');
    expect(untrusted.about).toBe('server');
    expect(wrong.code).toBe(1);
    // Your own chain is fine: no finding about --ca.
    expect(wrong.body.findings.some((x) => x.about === 'ca')).toBe(false);
  }, 60_000);

  it("a missing intermediate with unrelated names: the server's unknown_ca cites it, not a CA mismatch", async () => {
    const zeta = await serverRoot.createIntermediate({
      subject: { commonName: 'Zeta Issuing 7', organization: 'Zeta Corp' },
    });
    const leaf = await zeta.issue({ subject: { commonName: 'agent-z' }, validityMs: 30 * DAY });
    const cert = await w.file('z.pem', leaf.certificatePem);
    const key = await w.file('z.key', leaf.privateKeyPem!);
    const { code, body } = await doctor([
      '--cert',
      cert,
      '--key',
      key,
      '--ca',
      f.ca!,
      '--server-ca',
      f.ca!,
      '--connect',
      `127.0.0.1:${opensslPort}`,
    ]);
    expect(code).toBe(1);
    expect(body.findings[0]!.code).toBe('ISSUER_NOT_FOUND');
    expect(body.findings[0]!.fix).toMatch(/^Look for the certificate of "[^"]*Zeta Issuing 7/);
    const rejected = body.findings.find((x) => x.code === 'CLIENT_CERT_REJECTED')!;
    expect(rejected.message).toContain('ISSUER_NOT_FOUND');
    expect(rejected.message).not.toMatch(/does not trust the CA that issued/);
  }, 60_000);

  it('reports a port where nothing listens', async () => {
    const port = await freePort();
    const { code, body } = await doctor([
      '--cert',
      f.good!,
      '--key',
      f.goodKey!,
      '--ca',
      f.ca!,
      '--connect',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    expect(body.findings.find((x) => x.code === 'CONNECT_FAILED')!.message).toContain('refused');
  }, 60_000);

  it('against openssl s_server -Verify 1: accepts our certificate, names the alert for a foreign one', async () => {
    const ok = await doctor([
      '--cert',
      f.good!,
      '--key',
      f.goodKey!,
      '--ca',
      f.ca!,
      '--connect',
      `127.0.0.1:${opensslPort}`,
    ]);
    expect(ok.body.findings.map((x) => x.code)).toContain('HANDSHAKE_OK');
    expect(ok.code).toBe(0);
    const bad = await doctor([
      '--cert',
      f.foreign!,
      '--key',
      f.foreignKey!,
      '--ca',
      f.both!,
      '--connect',
      `127.0.0.1:${opensslPort}`,
    ]);
    expect(bad.code).toBe(1);
    const rejected = bad.body.findings.find((x) => x.code === 'CLIENT_CERT_REJECTED')!;
    expect(rejected.message).toMatch(/unknown_ca|bad_certificate|certificate_unknown/);
  }, 60_000);
});
