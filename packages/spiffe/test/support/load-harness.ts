// Real TLS on 127.0.0.1 fed by real Workload API streams over unix sockets: an
// attachCredentials server and undici + https.Agent clients, each on a Workload API source.
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCertificateAuthority, type MtlsError } from '@mtlskit/core';
import {
  attachCredentials,
  createMtlsDispatcher,
  createMtlsHttpsAgent,
  createPeerAllowList,
  getPeerIdentity,
} from '@mtlskit/node-adapter';
import { createWorkloadApiSource, type WorkloadApiSource } from '@mtlskit/spiffe';
import { createTestWorkloadApi, type TestWorkloadApi } from '@mtlskit/testkit';
import { request } from 'undici';

export const SERVER_ID = 'spiffe://example.org/server';
export const CLIENT_ID = 'spiffe://example.org/client';

export interface LoadRun {
  serverApi: TestWorkloadApi;
  clientApi: TestWorkloadApi;
  serverSource: WorkloadApiSource;
  clientSource: WorkloadApiSource;
  /** Runs the load for `durationMs`, calling `during(elapsedMs)` every 100 ms. */
  run(durationMs: number, during?: (elapsedMs: number) => Promise<void> | void): Promise<LoadResult>;
  close(): Promise<void>;
}

export interface LoadResult {
  requests: { undici: number; httpsAgent: number };
  failures: string[];
  /** Client SVID serials the server saw, in first-seen order. */
  serverSawClientSerials: string[];
  /** Server SVID serials the clients saw (undici / https.Agent). */
  undiciSawServerSerials: string[];
  agentSawServerSerials: string[];
  /** Serials each source put into service, with the time it did. */
  clientGenerations: { serial: string; at: number }[];
  serverGenerations: { serial: string; at: number }[];
  sourceErrors: { server: MtlsError[]; client: MtlsError[] };
  endedAt: number;
}

const upper = (s: string | undefined): string => (s ?? 'none').toUpperCase();
const serialOfPem = (pem: string): string => new X509Certificate(pem).serialNumber;

export async function createLoadRun(rotateEveryMs: number | undefined): Promise<LoadRun> {
  const ca = await createCertificateAuthority({ subject: { commonName: 'example.org SPIFFE CA' } });
  const serverApi = await createTestWorkloadApi({ ca, spiffeIds: [SERVER_ID], rotateEveryMs });
  const clientApi = await createTestWorkloadApi({ ca, spiffeIds: [CLIENT_ID], rotateEveryMs });
  const backoff = { initialDelayMs: 100, maxDelayMs: 500 };
  const serverSource = createWorkloadApiSource({ socketPath: serverApi.address, backoff });
  const clientSource = createWorkloadApiSource({ socketPath: clientApi.address, backoff });
  await Promise.all([serverSource.ready(), clientSource.ready()]);

  const serverSaw: string[] = [];
  const server = createHttpsServer((req, res) => {
    const serial = upper(getPeerIdentity(req)?.serialNumber);
    if (!serverSaw.includes(serial)) serverSaw.push(serial);
    res.end(getPeerIdentity(req)?.spiffeId ?? 'none');
  });
  const attached = attachCredentials(server, serverSource, {
    authorize: createPeerAllowList({ spiffeIds: [CLIENT_ID] }),
  });
  await attached.ready();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const authorizeServer = createPeerAllowList({ spiffeIds: [SERVER_ID] });
  const dispatcher = createMtlsDispatcher(clientSource, { authorizeServer });
  const agent = createMtlsHttpsAgent(clientSource, { authorizeServer });
  const undiciSaw: string[] = [];
  dispatcher.on(
    'socket' as 'connect',
    ((e: { socket: TLSSocket }) => {
      const s = upper(e.socket.getPeerX509Certificate()?.serialNumber);
      if (!undiciSaw.includes(s)) undiciSaw.push(s);
    }) as never,
  );

  const agentGet = (): Promise<{ body: string; serial: string }> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        const serial = upper((res.socket as TLSSocket).getPeerX509Certificate()?.serialNumber);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ body, serial }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  return {
    serverApi,
    clientApi,
    serverSource,
    clientSource,
    async run(durationMs, during) {
      const failures: string[] = [];
      const requests = { undici: 0, httpsAgent: 0 };
      const agentSaw: string[] = [];
      const clientGenerations = [
        { serial: upper(serialOfPem(clientSource.current().certificateChainPem)), at: Date.now() },
      ];
      const serverGenerations = [
        { serial: upper(serialOfPem(serverSource.current().certificateChainPem)), at: Date.now() },
      ];
      const onClient = (c: { certificateChainPem: string }) =>
        clientGenerations.push({ serial: upper(serialOfPem(c.certificateChainPem)), at: Date.now() });
      const onServer = (c: { certificateChainPem: string }) =>
        serverGenerations.push({ serial: upper(serialOfPem(c.certificateChainPem)), at: Date.now() });
      clientSource.on('update', onClient);
      serverSource.on('update', onServer);
      const sourceErrors = { server: [] as MtlsError[], client: [] as MtlsError[] };
      const onServerError = (e: MtlsError) => sourceErrors.server.push(e);
      const onClientError = (e: MtlsError) => sourceErrors.client.push(e);
      serverSource.on('error', onServerError);
      clientSource.on('error', onClientError);
      const started = Date.now();
      const until = started + durationMs;
      const undiciLoop = async () => {
        while (Date.now() < until) {
          try {
            const res = await request(`https://127.0.0.1:${port}/`, { dispatcher });
            const body = await res.body.text();
            if (res.statusCode !== 200 || body !== CLIENT_ID)
              failures.push(`undici: ${res.statusCode} ${body}`);
          } catch (e) {
            failures.push(`undici: ${(e as { code?: string }).code} ${(e as Error).message}`);
          }
          requests.undici++;
        }
      };
      const agentLoop = async () => {
        while (Date.now() < until) {
          try {
            const { body, serial } = await agentGet();
            if (!agentSaw.includes(serial)) agentSaw.push(serial);
            if (body !== CLIENT_ID) failures.push(`https.Agent: ${body}`);
          } catch (e) {
            failures.push(`https.Agent: ${(e as { code?: string }).code} ${(e as Error).message}`);
          }
          requests.httpsAgent++;
        }
      };
      const ticker = (async () => {
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          await during?.(Date.now() - started);
        }
      })();
      await Promise.all([
        undiciLoop(),
        undiciLoop(),
        undiciLoop(),
        agentLoop(),
        agentLoop(),
        agentLoop(),
        ticker,
      ]);
      clientSource.off('update', onClient);
      serverSource.off('update', onServer);
      serverSource.off('error', onServerError);
      clientSource.off('error', onClientError);
      return {
        requests,
        failures,
        serverSawClientSerials: [...serverSaw],
        undiciSawServerSerials: [...undiciSaw],
        agentSawServerSerials: agentSaw,
        clientGenerations,
        serverGenerations,
        sourceErrors,
        endedAt: Date.now(),
      };
    },
    async close() {
      await dispatcher.close();
      agent.destroy();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await serverSource.close();
      await clientSource.close();
      await serverApi.close();
      await clientApi.close();
    },
  };
}
