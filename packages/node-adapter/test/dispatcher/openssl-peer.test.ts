import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { freePort, kill, type TempDir, tempDir } from '../helpers/openssl.js';
import { createTestPki, MutableCredentialSource, type TestPki } from '../helpers/pki.js';

// A non-Node peer: openssl s_server -Verify requires and verifies the client certificate and
// (-www) answers with a status page that names the client certificate it saw.
let dir: TempDir;
let child: ChildProcess | undefined;
let port: number;
let pki: TestPki;

beforeAll(async () => {
  dir = tempDir();
  pki = await createTestPki();
  const server = await pki.server('openssl-server');
  const cert = dir.write('s.pem', server.certificateChainPem);
  const key = dir.write('s.key', server.privateKeyPem);
  const ca = dir.write('ca.pem', pki.ca.certificatePem);
  port = await freePort();
  child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      cert,
      '-key',
      key,
      '-CAfile',
      ca,
      '-Verify',
      '2',
      '-verify_return_error',
      '-www',
      '-no_ticket',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.resume();
  child.stderr?.resume();
  // wait until it accepts
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 20_000);

afterAll(async () => {
  if (child) await kill(child);
  dir.remove();
});

describe('createMtlsDispatcher against openssl s_server -Verify', () => {
  it('presents the current client certificate to openssl before and after a swap', async () => {
    const source = new MutableCredentialSource();
    await source.set(await pki.client('alice'));
    const dispatcher = createMtlsDispatcher(source);
    try {
      const r1 = await request(`https://127.0.0.1:${port}/`, {
        dispatcher,
        headers: { connection: 'close' },
      });
      const page1 = await r1.body.text();
      expect(r1.statusCode).toBe(200);
      expect(page1).toMatch(/CN ?= ?alice/);
      await source.set(await pki.client('bob'));
      const r2 = await request(`https://127.0.0.1:${port}/`, {
        dispatcher,
        headers: { connection: 'close' },
      });
      const page2 = await r2.body.text();
      expect(page2).toMatch(/CN ?= ?bob/);
      expect(page2).not.toMatch(/CN ?= ?alice/);
    } finally {
      await dispatcher.close();
    }
  }, 20_000);

  it('a client certificate from an unknown CA is refused by openssl and explained', async () => {
    const stranger = await createTestPki('stranger CA');
    const source = new MutableCredentialSource();
    const creds = await stranger.client('mallory');
    await source.set({ ...creds, trustAnchorsPem: creds.trustAnchorsPem + pki.ca.certificatePem });
    const dispatcher = createMtlsDispatcher(source);
    try {
      await expect(request(`https://127.0.0.1:${port}/`, { dispatcher })).rejects.toMatchObject({
        code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE',
      });
    } finally {
      await dispatcher.close();
    }
  }, 20_000);
});
