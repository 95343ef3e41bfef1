import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { FileStore, type FileStoreOptions } from '@mtlskit/agent';
import { isMtlsError, type MtlsError } from '@mtlskit/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identityOf, type Material, makeMaterials } from '../fixtures/store-identities.js';

let m: Material[];
let root: string;
let dir: string;
let warnings: MtlsError[];

beforeAll(async () => {
  m = await makeMaterials(4);
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mtlskit-filestore-'));
  dir = join(root, 'state');
  warnings = [];
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function store(options: FileStoreOptions = {}): FileStore {
  return new FileStore(dir, { onWarning: (w) => warnings.push(w), ...options });
}

/** Saves generations 1..n with keep = n so every generation stays on disk for hand-made states. */
async function saveAll(n: number): Promise<void> {
  const s = store({ keep: n });
  for (let g = 1; g <= n; g++) await s.save(identityOf(m[g % m.length]!, g));
}

const entries = () => readdirSync(dir).sort();
const current = () => readlinkSync(join(dir, 'current'));

describe('FileStore layout and life cycle', () => {
  it('writes one directory per generation and points current at the newest', async () => {
    const s = store();
    expect(await s.load()).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    await s.save(identityOf(m[1]!, 1));
    expect(entries()).toEqual(['current', 'gen-1']);
    expect(current()).toBe('gen-1');
    expect(readdirSync(join(dir, 'gen-1')).sort()).toEqual([
      'chain.pem',
      'commit.json',
      'identity.json',
      'key.pem',
      'trust-anchors.pem',
    ]);
    expect(readFileSync(join(dir, 'gen-1', 'key.pem'), 'utf8')).toBe(m[1]!.key);
    // OpenSSL, as an independent reader, sees the same public key in the key and the leaf.
    const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
    expect(openssl('pkey', '-in', join(dir, 'current', 'key.pem'), '-pubout')).toBe(
      openssl('x509', '-in', join(dir, 'current', 'chain.pem'), '-pubkey', '-noout'),
    );
    const commit = JSON.parse(readFileSync(join(dir, 'gen-1', 'commit.json'), 'utf8'));
    expect(commit.generation).toBe(1);
    expect(Object.keys(commit.files).sort()).toEqual([
      'chain.pem',
      'identity.json',
      'key.pem',
      'trust-anchors.pem',
    ]);
    expect(warnings).toEqual([]);
  });

  it('is read back by a new instance (a restarted process)', async () => {
    await store().save(identityOf(m[1]!, 7));
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(7);
    expect(loaded.privateKeyPem).toBe(m[1]!.key);
    expect(loaded.certificateChainPem).toBe(m[1]!.chain);
    expect(loaded.serviceId).toBe('svc-7');
    expect(warnings).toEqual([]);
  });

  it('keeps two generations by default and prunes the rest', async () => {
    const s = store();
    for (let g = 1; g <= 5; g++) await s.save(identityOf(m[g % 4]!, g));
    expect(entries()).toEqual(['current', 'gen-4', 'gen-5']);
    expect(current()).toBe('gen-5');
  });

  it('keeps as many generations as asked', async () => {
    const three = store({ keep: 3 });
    for (let g = 1; g <= 5; g++) await three.save(identityOf(m[g % 4]!, g));
    expect(entries()).toEqual(['current', 'gen-3', 'gen-4', 'gen-5']);
    const one = store({ keep: 1 });
    await one.save(identityOf(m[2]!, 6));
    expect(entries()).toEqual(['current', 'gen-6']);
    expect(() => new FileStore(dir, { keep: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_STORAGE_INVALID' }),
    );
    expect(() => new FileStore('')).toThrow(expect.objectContaining({ code: 'ERR_MTLS_STORAGE_INVALID' }));
  });

  it('keeps the pending key in its own file next to the generations', async () => {
    const s = store();
    await s.savePendingKey({ privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'enroll', createdAt: 'now' });
    expect(entries()).toEqual(['pending-key.json']);
    expect((await store().loadPendingKey())!.privateKeyPem).toBe(m[0]!.key);
    await s.clearPendingKey();
    expect(entries()).toEqual([]);
  });

  it('reports a pending key file it did not write as corrupt, naming the path', async () => {
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'pending-key.json'), '{"format":1,"privateKeyPem":', { mode: 0o600 });
    const err = await store()
      .loadPendingKey()
      .catch((e: unknown) => e);
    expect(isMtlsError(err) && err.code).toBe('ERR_MTLS_STORAGE_CORRUPT');
    expect((err as Error).message).toContain(join(dir, 'pending-key.json'));
  });

  it('clear() empties the directory but keeps it', async () => {
    await saveAll(3);
    const s = store();
    await s.savePendingKey({ privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'renew', createdAt: 'now' });
    await s.clear();
    expect(entries()).toEqual([]);
    expect(await store().load()).toBeUndefined();
  });

  it('finishes a clear that a crash interrupted instead of resurrecting a generation', async () => {
    await saveAll(2);
    // The crash hit after the marker and the removal of `current`.
    writeFileSync(join(dir, 'clearing'), 'x', { mode: 0o600 });
    unlinkSync(join(dir, 'current'));
    expect(await store().load()).toBeUndefined();
    expect(entries()).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(['ERR_MTLS_STORAGE_RECOVERED']);
  });

  it('says what it is without secrets in util.inspect and JSON', async () => {
    const s = store();
    await s.save(identityOf(m[0]!, 1));
    expect(inspect(s)).toContain(dir);
    expect(inspect(s)).not.toContain(m[0]!.key.split('\n')[1]!);
    expect(JSON.parse(JSON.stringify(s))).toEqual({ stateDir: dir, keep: 2, currentGeneration: 1 });
  });
});

describe('FileStore recovery of an interrupted save', () => {
  it('deletes a torn temporary directory and keeps the current generation', async () => {
    await saveAll(2);
    // Crash while writing: a temp dir with some of the files and no commit marker.
    const torn = join(dir, 'tmp-gen-3-0123456789ab');
    mkdirSync(torn, { mode: 0o700 });
    writeFileSync(join(torn, 'key.pem'), m[3]!.key, { mode: 0o600 });
    writeFileSync(join(torn, 'chain.pem'), m[3]!.chain.slice(0, 100), { mode: 0o600 });
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(2);
    expect(entries()).toEqual(['current', 'gen-1', 'gen-2']);
    expect(warnings.map((w) => w.code)).toEqual(['ERR_MTLS_STORAGE_RECOVERED']);
    expect(warnings[0]!.message).toContain('tmp-gen-3');
  });

  it('makes a committed generation current when the crash hit before the switch', async () => {
    await saveAll(3);
    // Crash after `rename(tmp, gen-3)`, before `current` moved.
    symlinkSync('gen-2', join(dir, 'current.tmp'));
    renameSync(join(dir, 'current.tmp'), join(dir, 'current'));
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(3);
    expect(loaded.privateKeyPem).toBe(m[3]!.key);
    expect(current()).toBe('gen-3');
    expect(warnings.map((w) => w.code)).toEqual(['ERR_MTLS_STORAGE_RECOVERED']);
    expect(warnings[0]!.message).toMatch(/Finished an interrupted save: generation 3/);
  });

  it('finishes a switch interrupted between creating current.tmp and renaming it', async () => {
    await saveAll(3);
    unlinkSync(join(dir, 'current'));
    symlinkSync('gen-2', join(dir, 'current'));
    symlinkSync('gen-3', join(dir, 'current.tmp'));
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(3);
    expect(entries()).toEqual(['current', 'gen-1', 'gen-2', 'gen-3']);
    expect(current()).toBe('gen-3');
  });

  it('deletes a generation directory without its commit marker', async () => {
    await saveAll(3);
    unlinkSync(join(dir, 'current'));
    symlinkSync('gen-2', join(dir, 'current'));
    unlinkSync(join(dir, 'gen-3', 'commit.json'));
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(2);
    expect(entries()).toEqual(['current', 'gen-1', 'gen-2']);
  });

  it('starts from the newest complete generation when current is missing', async () => {
    await saveAll(2);
    unlinkSync(join(dir, 'current'));
    expect((await store().load())!.generation).toBe(2);
    expect(current()).toBe('gen-2');
  });

  it('falls back when current points at a generation that is gone', async () => {
    await saveAll(2);
    rmSync(join(dir, 'gen-2'), { recursive: true });
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(1);
    expect(loaded.privateKeyPem).toBe(m[1]!.key);
    expect(current()).toBe('gen-1');
    expect(warnings[0]!.message).toMatch(/Generation 2 .* fell back to generation 1/);
  });

  it('never returns a generation whose key does not match its certificate, and reports it', async () => {
    await saveAll(2);
    // A committed generation with a swapped key (digests updated, so only the key check can tell).
    const gen2 = join(dir, 'gen-2');
    writeFileSync(join(gen2, 'key.pem'), m[0]!.key, { mode: 0o600 });
    const commit = JSON.parse(readFileSync(join(gen2, 'commit.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    commit.files['key.pem'] = createHash('sha256').update(m[0]!.key).digest('hex');
    writeFileSync(join(gen2, 'commit.json'), JSON.stringify(commit), { mode: 0o600 });

    const s = store();
    const loaded = (await s.load())!;
    expect(loaded.generation).toBe(1);
    expect(loaded.privateKeyPem).toBe(m[1]!.key);
    expect(warnings.map((w) => w.code)).toEqual([
      'ERR_MTLS_STORAGE_KEY_MISMATCH',
      'ERR_MTLS_STORAGE_RECOVERED',
    ]);
    const rejected = entries().find((e) => e.startsWith('rejected-gen-2-'));
    expect(rejected).toBeDefined();
    expect(warnings[0]!.message).toContain(rejected!);
    for (const w of warnings) expect(w.message).not.toContain(m[0]!.key.split('\n')[1]!);
    // The next save may reuse the number and prunes the rejected directory.
    await s.save(identityOf(m[2]!, 2));
    expect(entries()).toEqual(['current', 'gen-1', 'gen-2']);
    expect((await store().load())!.privateKeyPem).toBe(m[2]!.key);
  });

  it('falls back when a file of the current generation is corrupted', async () => {
    await saveAll(2);
    writeFileSync(join(dir, 'gen-2', 'chain.pem'), m[2]!.chain.slice(0, 200), { mode: 0o600 });
    const loaded = (await store().load())!;
    expect(loaded.generation).toBe(1);
    expect(warnings[0]!.code).toBe('ERR_MTLS_STORAGE_CORRUPT');
    expect(warnings[0]!.message).toMatch(/chain\.pem does not match the digest/);
  });

  it('falls back when the current generation cannot be parsed at all', async () => {
    await saveAll(2);
    writeFileSync(join(dir, 'gen-2', 'commit.json'), '{not json', { mode: 0o600 });
    expect((await store().load())!.generation).toBe(1);
    expect(warnings[0]!.code).toBe('ERR_MTLS_STORAGE_CORRUPT');
  });

  it('is empty (not failing) when no complete generation is left', async () => {
    await saveAll(1);
    unlinkSync(join(dir, 'gen-1', 'commit.json'));
    expect(await store().load()).toBeUndefined();
    expect(entries()).toEqual([]);
    const s = store();
    await s.save(identityOf(m[1]!, 1));
    expect((await s.load())!.generation).toBe(1);
  });

  it('recovers before the first save of a new instance, and numbers after the recovered generation', async () => {
    await saveAll(3);
    unlinkSync(join(dir, 'current'));
    symlinkSync('gen-2', join(dir, 'current'));
    const s = store();
    await expect(s.save(identityOf(m[3]!, 3))).rejects.toMatchObject({ code: 'ERR_MTLS_STORAGE_GENERATION' });
    await s.save(identityOf(m[0]!, 4));
    expect(current()).toBe('gen-4');
  });

  it('removes a temp pending key left by a crash and keeps the committed one', async () => {
    const s = store();
    await s.savePendingKey({ privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'renew', createdAt: 'now' });
    writeFileSync(join(dir, 'pending-key.json.tmp'), '{"torn', { mode: 0o600 });
    const fresh = store();
    expect((await fresh.loadPendingKey())!.privateKeyPem).toBe(m[0]!.key);
    await fresh.savePendingKey({
      privateKeyPem: m[1]!.key,
      agentId: 'a',
      purpose: 'renew',
      createdAt: 'now',
    });
    expect(entries()).toEqual(['pending-key.json']);
  });

  it('checks a copied state directory the same way (recovery is deterministic)', async () => {
    await saveAll(3);
    unlinkSync(join(dir, 'current'));
    symlinkSync('gen-1', join(dir, 'current'));
    const copy = join(root, 'copy');
    cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
    const a = (await store().load())!.generation;
    const b = (await new FileStore(copy).load())!.generation;
    expect([a, b]).toEqual([3, 3]);
  });
});
