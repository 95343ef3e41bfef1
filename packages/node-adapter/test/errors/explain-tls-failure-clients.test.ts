import { createServer, get as httpsGet } from 'node:https';
import { isMtlsError } from '@mtlskit/core';
import axios from 'axios';
import got from 'got';
import fetch3 from 'node-fetch';
import fetch2 from 'node-fetch-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainTlsFailure } from '../../src/errors/explain-tls-failure.js';
import { createMtlsHttpsAgent, type MtlsHttpsAgent } from '../../src/https-agent/create-mtls-https-agent.js';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import { closeServer, createTestPki, listen, MutableCredentialSource } from '../helpers/pki.js';

// A TLS 1.3 server that refuses the client certificate (issued by a CA it does not trust):
// each real client sees only a hung-up socket or a late alert. explainTlsFailure must turn
// every one of those into ERR_MTLS_PEER_REJECTED_CERTIFICATE.
let url: string;
let agent: MtlsHttpsAgent;
let stop: () => Promise<void>;
beforeAll(async () => {
  const serverPki = await createTestPki('server CA');
  const strangerPki = await createTestPki('stranger CA');
  const serverSource = new MutableCredentialSource();
  await serverSource.set(await serverPki.server('server'));
  const server = createServer((_req, res) => res.end('hello'));
  await attachCredentials(server, serverSource, { minVersion: 'TLSv1.3' }).ready();
  url = `https://127.0.0.1:${await listen(server)}/`;
  const stranger = await strangerPki.client('stranger');
  const clientSource = new MutableCredentialSource();
  await clientSource.set({
    ...stranger,
    trustAnchorsPem: serverPki.ca.certificatePem,
    chainAnchorsPem: strangerPki.ca.certificatePem,
  });
  agent = createMtlsHttpsAgent(clientSource, { agentOptions: { keepAlive: false } });
  stop = () => closeServer(server);
});
afterAll(async () => {
  agent.destroy();
  await stop();
});

const clients: Record<string, () => Promise<unknown>> = {
  'https.get': () =>
    new Promise((resolve, reject) => {
      httpsGet(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    }),
  axios: () => axios.get(url, { httpsAgent: agent }),
  got: () => got(url, { agent: { https: agent }, retry: { limit: 0 } }),
  'node-fetch 3': () => fetch3(url, { agent }),
  'node-fetch 2': () => fetch2(url, { agent }),
};

describe('explainTlsFailure with the clients people use (TLS 1.3, client certificate refused)', () => {
  for (const [name, call] of Object.entries(clients)) {
    it(`${name}: the raw error becomes ERR_MTLS_PEER_REJECTED_CERTIFICATE`, async () => {
      const raw = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(raw, `${name} must fail`).toBeInstanceOf(Error);
      const explained = explainTlsFailure(raw, { origin: url });
      expect(isMtlsError(explained) && explained.code, `${name}: ${(raw as Error).message}`).toBe(
        'ERR_MTLS_PEER_REJECTED_CERTIFICATE',
      );
      expect((explained as Error).message).toContain('rejected the client certificate');
      expect((explained as Error).cause).toBeDefined();
    });
  }
});
