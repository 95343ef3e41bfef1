import { createServer } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import { getPeerIdentity } from '../../src/server/get-peer-identity.js';
import { closeServer, createTestPki, listen, MutableCredentialSource } from '../helpers/pki.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Node's global fetch runs on the undici copy bundled in Node (6.x in Node 20 and 22, 7.x in
// 24), not on the one the dispatcher was built with: the hand-over must still work.
describe(`the global fetch of Node ${process.version}`, () => {
  it('sends requests through forGlobalFetch() with the current identity, across a swap', async () => {
    const pki = await createTestPki();
    const serverSource = new MutableCredentialSource();
    await serverSource.set(await pki.server());
    const server = createServer((req, res) => res.end(getPeerIdentity(req)?.commonName ?? 'anonymous'));
    await attachCredentials(server, serverSource).ready();
    const url = `https://127.0.0.1:${await listen(server)}/`;
    cleanups.push(() => closeServer(server));
    const client = new MutableCredentialSource();
    await client.set(await pki.client('client-1'));
    const dispatcher = createMtlsDispatcher(client);
    cleanups.push(() => dispatcher.destroy());
    const first = await fetch(url, dispatcher.forGlobalFetch({ headers: { 'x-test': '1' } }));
    expect(await first.text()).toBe('client-1');
    await client.set(await pki.client('client-2'));
    expect(await (await fetch(url, dispatcher.forGlobalFetch())).text()).toBe('client-2');
  });
});
