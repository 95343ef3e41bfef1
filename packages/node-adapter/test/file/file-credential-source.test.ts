import { mkdirSync, renameSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '@mtlskit/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCredentialSource } from '../../src/file/file-credential-source.js';
import { tempDir } from '../helpers/openssl.js';
import { type CredentialsInput, createTestPki, serialOf } from '../helpers/pki.js';

const cleanups: Array<() => unknown> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Writes a secret volume the way the kubelet's atomic writer does. */
function k8sVolume(root: string) {
  let n = 0;
  let current: string | undefined;
  return {
    publish(c: CredentialsInput) {
      n += 1;
      const ts = `..2026_01_01_00_00_0${n}.${process.pid}`;
      mkdirSync(join(root, ts));
      writeFileSync(join(root, ts, 'tls.crt'), c.certificateChainPem);
      writeFileSync(join(root, ts, 'tls.key'), c.privateKeyPem);
      writeFileSync(join(root, ts, 'ca.crt'), c.trustAnchorsPem);
      symlinkSync(ts, join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      if (n === 1)
        for (const f of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(join('..data', f), join(root, f));
      if (current !== undefined) rmSync(join(root, current), { recursive: true, force: true });
      current = ts;
    },
  };
}

function nextUpdate(source: FileCredentialSource, timeoutMs = 5_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no update')), timeoutMs);
    source.once('update', (c: { generation: number }) => {
      clearTimeout(t);
      resolve(c.generation);
    });
  });
}

describe('FileCredentialSource', () => {
  it('reloads on three Kubernetes ..data swaps in a row (a plain file watch sees only the first)', async () => {
    const pki = await createTestPki();
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const volume = k8sVolume(dir.path);
    const creds = [
      await pki.client('g1'),
      await pki.client('g2'),
      await pki.client('g3'),
      await pki.client('g4'),
    ];
    volume.publish(creds[0]!);
    // pollIntervalMs is long: only the directory watch can explain reloads within the test.
    const source = new FileCredentialSource({ dir: dir.path, pollIntervalMs: 600_000, debounceMs: 50 });
    cleanups.push(() => source.close());
    expect((await source.ready()).generation).toBe(1);
    let plainEvents = 0;
    const plain = watch(join(dir.path, 'tls.crt'), () => {
      plainEvents += 1;
    });
    plain.on('error', () => undefined);
    cleanups.push(() => plain.close());
    const plainSeenAfter: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const before = plainEvents;
      const update = nextUpdate(source);
      volume.publish(creds[i]!);
      expect(await update).toBe(i + 1);
      expect(serialOf(source.current().certificateChainPem)).toBe(serialOf(creds[i]!.certificateChainPem));
      plainSeenAfter.push(plainEvents - before);
    }
    expect(plainSeenAfter[0]).toBeGreaterThan(0);
    expect(plainSeenAfter.slice(1)).toEqual([0, 0]);
  });

  it('keeps the last good credentials and emits a coded error on bad material', async () => {
    const pki = await createTestPki();
    const other = await createTestPki('other');
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const good = await pki.client('good');
    const write = (c: CredentialsInput) => {
      dir.write('cert.pem', c.certificateChainPem);
      dir.write('key.pem', c.privateKeyPem);
      dir.write('ca.pem', c.trustAnchorsPem);
    };
    write(good);
    const source = new FileCredentialSource({
      certFile: join(dir.path, 'cert.pem'),
      keyFile: join(dir.path, 'key.pem'),
      caFile: join(dir.path, 'ca.pem'),
      pollIntervalMs: 600_000,
      debounceMs: 30,
    });
    cleanups.push(() => source.close());
    await source.ready();
    const errors: Array<{ code: string; message: string }> = [];
    source.on('error', (e) => errors.push(e));
    const mismatched = await pki.client('x');
    dir.write('key.pem', mismatched.privateKeyPem);
    await source.reload();
    dir.write('key.pem', good.privateKeyPem);
    dir.write('cert.pem', good.certificateChainPem.slice(0, 200));
    await source.reload();
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_KEY_MISMATCH', 'ERR_MTLS_CREDENTIALS_MALFORMED']);
    expect(errors.every((e) => !e.message.includes('PRIVATE KEY'))).toBe(true);
    expect(source.generation).toBe(1);
    expect(source.current().certificateChainPem).toBe(good.certificateChainPem);
    void other;
  });

  it('reports unreadable files with a coded error and recovers by polling', async () => {
    const pki = await createTestPki();
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const source = new FileCredentialSource({
      dir: join(dir.path, 'missing'),
      pollIntervalMs: 100,
      debounceMs: 30,
    });
    cleanups.push(() => source.close());
    const error = await new Promise<{ code: string }>((r) => source.once('error', r));
    expect(error.code).toBe('ERR_MTLS_CREDENTIALS_UNREADABLE');
    expect(() => source.current()).toThrow(expect.objectContaining({ code: 'ERR_MTLS_NO_CREDENTIALS' }));
    const c = await pki.client('late');
    mkdirSync(join(dir.path, 'missing'));
    const sub = join(dir.path, 'missing');
    writeFileSync(join(sub, 'tls.crt'), c.certificateChainPem);
    writeFileSync(join(sub, 'tls.key'), c.privateKeyPem);
    writeFileSync(join(sub, 'ca.crt'), c.trustAnchorsPem);
    expect((await source.ready()).generation).toBe(1);
  });

  it('emits expiring and expired through the core tracker (fake clock)', async () => {
    const pki = await createTestPki();
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const c = await pki.client('short', { validityMs: 60 * 60_000 });
    dir.write('tls.crt', c.certificateChainPem);
    dir.write('tls.key', c.privateKeyPem);
    dir.write('ca.crt', c.trustAnchorsPem);
    const clock = new FakeClock({ now: Date.now() });
    const source = new FileCredentialSource({ dir: dir.path, clock, expiringThresholdsMs: [10 * 60_000] });
    cleanups.push(() => source.close());
    const seen: Array<{ kind: string; remainingMs: number; thresholdMs?: number | undefined }> = [];
    source.on('expiring', (e) => seen.push({ kind: 'expiring', ...e }));
    source.on('expired', (e) => seen.push({ kind: 'expired', ...e }));
    const creds = await source.ready();
    clock.advance(creds.notAfter.getTime() - clock.now() - 10 * 60_000 + 1);
    expect(seen.map((e) => [e.kind, e.thresholdMs])).toEqual([['expiring', 10 * 60_000]]);
    clock.advance(10 * 60_000);
    expect(seen.map((e) => e.kind)).toEqual(['expiring', 'expired']);
  });
});
