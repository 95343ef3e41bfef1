// The CredentialStore contract, run against both implementations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type CredentialStore, FileStore, MemoryStore } from '@mtlskit/agent';
import { isMtlsError } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, type Material, makeMaterials } from '../fixtures/store-identities.js';

let m: Material[];
const dirs: string[] = [];
beforeAll(async () => {
  m = await makeMaterials(3);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isMtlsError(e)) throw e;
    return e.code;
  }
  throw new Error('expected a rejection');
}

const implementations: [string, () => CredentialStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'FileStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mtlskit-contract-'));
      dirs.push(dir);
      return new FileStore(join(dir, 'state'));
    },
  ],
];

describe.each(implementations)('CredentialStore contract: %s', (_name, make) => {
  it('loads nothing before the first save, then exactly what was saved', async () => {
    const store = make();
    expect(await store.load()).toBeUndefined();
    const saved = identityOf(m[0]!, 1);
    await store.save(saved);
    const loaded = await store.load();
    expect(loaded).toBeDefined();
    expect({ ...loaded, privateKeyPem: loaded!.privateKeyPem }).toEqual(saved);
  });

  it('keeps optional fields absent when they were not given', async () => {
    const store = make();
    await store.save(identityOf(m[0]!, 1, { serviceId: undefined, renewAfter: undefined }));
    const loaded = (await store.load())!;
    expect(loaded.serviceId).toBeUndefined();
    expect(loaded.renewAfter).toBeUndefined();
    expect(loaded.agentId).toBe('agent-1');
  });

  it('returns copies: changing the saved object or a loaded one changes nothing stored', async () => {
    const store = make();
    const input = { ...identityOf(m[0]!, 1) };
    await store.save(input);
    (input as { agentId: string }).agentId = 'changed';
    const loaded = (await store.load())!;
    expect(loaded.agentId).toBe('agent-1');
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(() => {
      (loaded as { agentId: string }).agentId = 'x';
    }).toThrow(TypeError);
    expect((await store.load())!.agentId).toBe('agent-1');
  });

  it('only lets generations go up', async () => {
    const store = make();
    await store.save(identityOf(m[0]!, 3));
    expect(await codeOf(store.save(identityOf(m[1]!, 3)))).toBe('ERR_MTLS_STORAGE_GENERATION');
    expect(await codeOf(store.save(identityOf(m[1]!, 2)))).toBe('ERR_MTLS_STORAGE_GENERATION');
    await store.save(identityOf(m[1]!, 4));
    expect((await store.load())!.generation).toBe(4);
  });

  it('refuses a key that does not belong to the certificate, and keeps the previous generation', async () => {
    const store = make();
    await store.save(identityOf(m[0]!, 1));
    const mixed = { ...identityOf(m[1]!, 2), privateKeyPem: m[2]!.key };
    expect(await codeOf(store.save(mixed))).toBe('ERR_MTLS_STORAGE_KEY_MISMATCH');
    const loaded = (await store.load())!;
    expect(loaded.generation).toBe(1);
    expect(loaded.privateKeyPem).toBe(m[0]!.key);
  });

  it('refuses malformed input with ERR_MTLS_STORAGE_INVALID', async () => {
    const store = make();
    const good = identityOf(m[0]!, 1);
    for (const bad of [
      { ...good, generation: -1 },
      { ...good, generation: 1.5 },
      { ...good, privateKeyPem: '' },
      { ...good, certificateChainPem: 'not pem' },
      { ...good, agentId: '' },
      { ...good, serviceId: 7 as unknown as string },
    ])
      expect(await codeOf(store.save(bad))).toBe('ERR_MTLS_STORAGE_INVALID');
    // A loaded identity spread into a new object loses its non-enumerable key: said plainly.
    await store.save(good);
    const spread = { ...(await store.load())!, generation: 2 };
    expect(await codeOf(store.save(spread))).toBe('ERR_MTLS_STORAGE_INVALID');
    expect(await store.load()).toMatchObject({ generation: 1 });
  });

  it('round-trips a pending key, replaces it, and clears it', async () => {
    const store = make();
    expect(await store.loadPendingKey()).toBeUndefined();
    const pending = {
      privateKeyPem: m[0]!.key,
      agentId: 'agent-1',
      purpose: 'enroll' as const,
      createdAt: 'now',
    };
    await store.savePendingKey(pending);
    expect({
      ...(await store.loadPendingKey()),
      privateKeyPem: (await store.loadPendingKey())!.privateKeyPem,
    }).toEqual(pending);
    await store.savePendingKey({ ...pending, privateKeyPem: m[1]!.key, purpose: 'renew' });
    const second = (await store.loadPendingKey())!;
    expect(second.privateKeyPem).toBe(m[1]!.key);
    expect(second.purpose).toBe('renew');
    await store.clearPendingKey();
    expect(await store.loadPendingKey()).toBeUndefined();
    await store.clearPendingKey();
  });

  it('refuses a pending key that is not a key', async () => {
    const store = make();
    const pending = { privateKeyPem: m[0]!.key, agentId: 'a', purpose: 'enroll' as const, createdAt: 'now' };
    expect(
      await codeOf(
        store.savePendingKey({
          ...pending,
          privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        }),
      ),
    ).toBe('ERR_MTLS_STORAGE_INVALID');
    expect(await codeOf(store.savePendingKey({ ...pending, purpose: 'other' as 'enroll' }))).toBe(
      'ERR_MTLS_STORAGE_INVALID',
    );
    expect(await store.loadPendingKey()).toBeUndefined();
  });

  it('clear() removes every generation and the pending key; generation numbering can start again', async () => {
    const store = make();
    await store.save(identityOf(m[0]!, 1));
    await store.save(identityOf(m[1]!, 2));
    await store.savePendingKey({
      privateKeyPem: m[2]!.key,
      agentId: 'a',
      purpose: 'renew',
      createdAt: 'now',
    });
    await store.clear();
    expect(await store.load()).toBeUndefined();
    expect(await store.loadPendingKey()).toBeUndefined();
    await store.clear();
    await store.save(identityOf(m[2]!, 1));
    expect((await store.load())!.privateKeyPem).toBe(m[2]!.key);
  });

  it('serialises concurrent saves', async () => {
    const store = make();
    await Promise.all([1, 2, 3].map((g) => store.save(identityOf(m[g % 3]!, g))));
    const loaded = (await store.load())!;
    expect(loaded.generation).toBe(3);
    expect(loaded.privateKeyPem).toBe(m[0]!.key);
  });

  it('canary: the private key never shows in inspect, JSON or error messages', async () => {
    const store = make();
    await store.save(identityOf(m[0]!, 1));
    await store.savePendingKey({
      privateKeyPem: m[1]!.key,
      agentId: 'a',
      purpose: 'renew',
      createdAt: 'now',
    });
    const loaded = (await store.load())!;
    const pending = (await store.loadPendingKey())!;
    const errors: unknown[] = [];
    for (const attempt of [
      () => store.save({ ...identityOf(m[1]!, 2), privateKeyPem: m[0]!.key }),
      () => store.save({ ...identityOf(m[0]!, 1) }),
      () => store.save({ ...identityOf(m[0]!, 5), agentId: '' }),
      () =>
        store.savePendingKey({
          privateKeyPem: `${m[0]!.key}garbage`,
          agentId: '',
          purpose: 'renew',
          createdAt: 'x',
        }),
    ])
      await attempt().catch((e: unknown) => errors.push(e));
    expect(errors).toHaveLength(4);
    const keyBody = (pem: string) => pem.split('\n')[1]!;
    const shown = [
      inspect(store, { depth: 10, showHidden: true }),
      JSON.stringify(store),
      inspect(loaded, { depth: 10 }),
      JSON.stringify(loaded),
      inspect(pending, { depth: 10 }),
      JSON.stringify(pending),
      String(loaded),
      ...errors.map((e) => inspect(e, { depth: 10 })),
      ...errors.map((e) => JSON.stringify(e)),
    ].join('\n');
    for (const k of [m[0]!.key, m[1]!.key]) expect(shown).not.toContain(keyBody(k));
    expect(shown).toContain('[redacted]');
    expect(loaded.privateKeyPem).toBe(m[0]!.key);
  });
});
