import { inspect } from 'node:util';
import { MemoryStore } from '@mtlskit/agent';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityOf, type Material, makeMaterials } from '../fixtures/store-identities.js';

let m: Material[];
beforeAll(async () => {
  m = await makeMaterials(3);
});

describe('MemoryStore', () => {
  it('keeps the newest two generations by default, or as many as asked', async () => {
    const store = new MemoryStore();
    for (let g = 1; g <= 4; g++) await store.save(identityOf(m[g % 3]!, g));
    expect(store.generations).toEqual([4, 3]);
    const three = new MemoryStore({ keep: 3 });
    for (let g = 1; g <= 4; g++) await three.save(identityOf(m[g % 3]!, g));
    expect(three.generations).toEqual([4, 3, 2]);
    expect(() => new MemoryStore({ keep: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_STORAGE_INVALID' }),
    );
  });

  it('stores copies: a loaded identity is a new frozen object each time', async () => {
    const store = new MemoryStore();
    await store.save(identityOf(m[0]!, 1));
    const a = await store.load();
    const b = await store.load();
    expect(a).not.toBe(b);
    expect(a!.privateKeyPem).toBe(b!.privateKeyPem);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('shows generation numbers only in util.inspect and JSON', async () => {
    const store = new MemoryStore();
    await store.save(identityOf(m[0]!, 1));
    await store.savePendingKey({ privateKeyPem: m[1]!.key, agentId: 'a', purpose: 'renew', createdAt: 'x' });
    expect(inspect(store)).toBe('MemoryStore {"generations":[1],"pendingKey":true}');
    expect(JSON.stringify(store)).toBe('{"generations":[1],"pendingKey":true}');
  });
});
