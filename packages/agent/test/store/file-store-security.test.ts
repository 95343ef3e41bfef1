// File modes whatever the umask, and links planted by someone else who can write to the
// state directory: refused with coded errors, nothing outside stateDir written or read.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@mtlskit/agent';
import { isMtlsError, type MtlsError } from '@mtlskit/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identityOf, type Material, makeMaterials } from '../fixtures/store-identities.js';

let m: Material[];
let root: string;
let dir: string;
let outside: string;

beforeAll(async () => {
  m = await makeMaterials(3);
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mtlskit-filestore-sec-'));
  dir = join(root, 'state');
  // What an attacker would like us to overwrite or read: must stay exactly as it is.
  outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim.txt'), 'untouched\n');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function outsideUntouched(): void {
  expect(readdirSync(outside)).toEqual(['victim.txt']);
  expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('untouched\n');
}

async function rejection(p: Promise<unknown>): Promise<MtlsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMtlsError(err)) throw new Error(`expected an MtlsError, got ${String(err)}`);
  return err;
}

function modesUnder(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    const st = lstatSync(p);
    out[rel] = st.isSymbolicLink() ? 'link' : (st.mode & 0o777).toString(8);
    if (st.isDirectory())
      for (const name of readdirSync(p)) walk(join(p, name), rel ? `${rel}/${name}` : name);
  };
  walk(path, '');
  return out;
}

describe('FileStore permissions', () => {
  it('creates files 0600 and directories 0700 under umask 000', async () => {
    const previous = process.umask(0);
    try {
      const nested = join(root, 'a', 'b', 'state');
      const s = new FileStore(nested, { keep: 3 });
      await s.save(identityOf(m[0]!, 1));
      await s.save(identityOf(m[1]!, 2));
      await s.savePendingKey({ privateKeyPem: m[2]!.key, agentId: 'a', purpose: 'renew', createdAt: 'now' });
      const modes = modesUnder(nested);
      expect(modes).toEqual({
        '': '700',
        current: 'link',
        'gen-1': '700',
        'gen-2': '700',
        'pending-key.json': '600',
        ...Object.fromEntries(
          ['gen-1', 'gen-2'].flatMap((g) =>
            ['chain.pem', 'commit.json', 'identity.json', 'key.pem', 'trust-anchors.pem'].map((f) => [
              `${g}/${f}`,
              '600',
            ]),
          ),
        ),
      });
      // Parents the store had to create are not left world-writable either.
      expect(statSync(join(root, 'a')).mode & 0o077).toBe(0);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing state directory and loose files, and says so', async () => {
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const warnings: MtlsError[] = [];
    const s = new FileStore(dir, { onWarning: (w) => warnings.push(w) });
    await s.save(identityOf(m[0]!, 1));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(join(dir, 'gen-1', 'key.pem'), 0o644);
    expect((await new FileStore(dir, { onWarning: (w) => warnings.push(w) }).load())!.generation).toBe(1);
    expect(statSync(join(dir, 'gen-1', 'key.pem')).mode & 0o777).toBe(0o600);
    expect(warnings.map((w) => w.code)).toEqual([
      'ERR_MTLS_STORAGE_PERMISSIONS',
      'ERR_MTLS_STORAGE_PERMISSIONS',
    ]);
    expect(warnings[1]!.message).toContain('key.pem had mode 644');
  });
});

describe('FileStore refuses planted links', () => {
  it('refuses a state directory that is a symlink unless explicitly allowed', async () => {
    symlinkSync(outside, dir);
    for (const op of [
      (s: FileStore) => s.load(),
      (s: FileStore) => s.save(identityOf(m[0]!, 1)),
      (s: FileStore) =>
        s.savePendingKey({ privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'renew', createdAt: 'x' }),
      (s: FileStore) => s.clear(),
    ]) {
      const err = await rejection(op(new FileStore(dir)));
      expect(err.code).toBe('ERR_MTLS_STORAGE_SYMLINK');
      expect(err.message).toContain(dir);
      expect(err.message).toContain('allowSymlinkedStateDir');
    }
    outsideUntouched();
    const allowed = new FileStore(dir, { allowSymlinkedStateDir: true });
    await allowed.save(identityOf(m[0]!, 1));
    expect((await allowed.load())!.generation).toBe(1);
    expect(readdirSync(outside).sort()).toEqual(['current', 'gen-1', 'victim.txt']);
  });

  it('refuses a current.tmp link that points outside, on save and on load', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    symlinkSync(join(outside, 'victim.txt'), join(dir, 'current.tmp'));
    const onSave = await rejection(s.save(identityOf(m[1]!, 2)));
    expect(onSave.code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    expect(onSave.message).toContain(join(dir, 'current.tmp'));
    expect((await rejection(new FileStore(dir).load())).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    outsideUntouched();
  });

  it('refuses a current link that points outside the state directory', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    // A complete, valid generation outside: it must not be read.
    const foreign = join(outside, 'gen-1');
    execFileSync('cp', ['-a', join(dir, 'gen-1'), foreign]);
    unlinkSync(join(dir, 'current'));
    symlinkSync(foreign, join(dir, 'current'));
    expect((await rejection(new FileStore(dir).load())).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    expect((await rejection(s.save(identityOf(m[1]!, 2)))).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    rmSync(foreign, { recursive: true });
    outsideUntouched();
  });

  it('refuses a generation directory that is a symlink, on load and on save', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    symlinkSync(outside, join(dir, 'gen-2'));
    expect((await rejection(new FileStore(dir).load())).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    const onSave = await rejection(s.save(identityOf(m[1]!, 2)));
    expect(onSave.code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    expect(onSave.message).toContain(join(dir, 'gen-2'));
    outsideUntouched();
    expect(readdirSync(dir).filter((e) => e.startsWith('tmp-'))).toEqual([]);
  });

  it('refuses a key file that is a symlink', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    writeFileSync(join(outside, 'key.pem'), m[0]!.key);
    unlinkSync(join(dir, 'gen-1', 'key.pem'));
    symlinkSync(join(outside, 'key.pem'), join(dir, 'gen-1', 'key.pem'));
    const err = await rejection(new FileStore(dir).load());
    expect(err.code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    expect(err.message).toContain(join(dir, 'gen-1', 'key.pem'));
    expect(err.message).not.toContain(m[0]!.key.split('\n')[1]!);
  });

  it('refuses a key file with a hard link to it', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    linkSync(join(dir, 'gen-1', 'key.pem'), join(outside, 'copy-of-key.pem'));
    const err = await rejection(new FileStore(dir).load());
    expect(err.code).toBe('ERR_MTLS_STORAGE_HARDLINK');
    expect(err.message).toContain(join(dir, 'gen-1', 'key.pem'));
    expect(err.details).toMatchObject({ nlink: 2 });
  });

  it('refuses a pending key path that is a symlink or a hard link', async () => {
    const s = new FileStore(dir);
    const pending = { privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'renew' as const, createdAt: 'x' };
    await s.savePendingKey(pending);
    const path = join(dir, 'pending-key.json');

    unlinkSync(path);
    symlinkSync(join(outside, 'victim.txt'), path);
    expect((await rejection(s.savePendingKey(pending))).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    expect((await rejection(s.loadPendingKey())).code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    outsideUntouched();
    // Removing a link is safe (the target stays), so clearing is allowed.
    await s.clearPendingKey();
    outsideUntouched();

    await s.savePendingKey(pending);
    linkSync(path, join(outside, 'pending-copy.json'));
    expect((await rejection(s.savePendingKey(pending))).code).toBe('ERR_MTLS_STORAGE_HARDLINK');
    expect((await rejection(s.loadPendingKey())).code).toBe('ERR_MTLS_STORAGE_HARDLINK');
  });

  it('refuses a link planted at the temporary pending key path', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    symlinkSync(join(outside, 'victim.txt'), join(dir, 'pending-key.json.tmp'));
    const err = await rejection(
      s.savePendingKey({ privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'renew', createdAt: 'x' }),
    );
    expect(err.code).toBe('ERR_MTLS_STORAGE_SYMLINK');
    outsideUntouched();
  });

  it('does not hang on a FIFO planted at a key path and falls back to the previous generation', async () => {
    const s = new FileStore(dir);
    await s.save(identityOf(m[0]!, 1));
    await s.save(identityOf(m[1]!, 2));
    unlinkSync(join(dir, 'gen-2', 'key.pem'));
    execFileSync('mkfifo', ['-m', '600', join(dir, 'gen-2', 'key.pem')]);
    const warnings: MtlsError[] = [];
    const loaded = await new FileStore(dir, { onWarning: (w) => warnings.push(w) }).load();
    expect(loaded!.generation).toBe(1);
    expect(warnings[0]!.code).toBe('ERR_MTLS_STORAGE_CORRUPT');
  });

  it('refuses a state directory that is a file, naming it', async () => {
    writeFileSync(dir, 'x');
    const err = await rejection(new FileStore(dir).save(identityOf(m[0]!, 1)));
    expect(err.code).toBe('ERR_MTLS_STORAGE');
    expect(err.message).toContain(dir);
  });
});
