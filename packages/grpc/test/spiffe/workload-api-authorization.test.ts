import * as grpc from '@grpc/grpc-js';
import { createCertificateAuthority } from '@mtlskit/core';
import { createChannelCredentials, createServerCredentials, getGrpcPeerIdentity } from '@mtlskit/grpc';
import { createWorkloadApiSource, type WorkloadApiSource } from '@mtlskit/spiffe';
import { createTestWorkloadApi, type TestWorkloadApi } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindServer,
  EchoClient,
  type EchoClientInstance,
  type EchoReply,
  type EchoRequest,
  echoService,
  shutdown,
  unary,
} from '../helpers/echo.js';

const API = 'spiffe://example.org/api';
const BILLING = 'spiffe://example.org/billing';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** One workload: its own Workload API socket (as each pod has its agent socket) and source. */
async function workload(
  ca: Awaited<ReturnType<typeof createCertificateAuthority>>,
  spiffeId: string,
  rotateEveryMs?: number,
): Promise<{ api: TestWorkloadApi; source: WorkloadApiSource }> {
  const api = await createTestWorkloadApi({
    ca,
    spiffeIds: [spiffeId],
    ...(rotateEveryMs === undefined ? {} : { rotateEveryMs }),
  });
  const source = createWorkloadApiSource({ socketPath: api.address });
  cleanup.push(async () => {
    await source.close();
    await api.close();
  });
  await source.ready();
  return { api, source };
}

describe('SVIDs from the SPIFFE Workload API (issue 17) in gRPC', () => {
  it('a client authorized by SPIFFE ID only, both SVIDs rotating under calls, an impostor of the same trust domain refused', async () => {
    // One trust domain: both agents sign with the same CA.
    const ca = await createCertificateAuthority({ subject: { commonName: 'example.org test SPIFFE CA' } });
    const server = await workload(ca, API, 700);
    const billing = await workload(ca, BILLING, 700);
    const impostor = await workload(ca, 'spiffe://example.org/impostor');

    const serverCredentials = createServerCredentials(server.source, {
      authorize: (peer) => peer.spiffeId === BILLING,
    });
    const errors: string[] = [];
    serverCredentials.on('error', (e) => errors.push(e.code));
    const seen = new Set<string>();
    const grpcServer = new grpc.Server();
    grpcServer.addService(echoService, {
      unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
        const peer = getGrpcPeerIdentity(call);
        seen.add(peer!.fingerprintSha256);
        cb(null, { n: call.request.n, peer: peer?.spiffeId });
      },
    });
    const port = await bindServer(grpcServer, serverCredentials);
    cleanup.push(async () => {
      await shutdown(grpcServer);
      serverCredentials.close();
    });
    const connect = (source: WorkloadApiSource) => {
      const credentials = createChannelCredentials(source, { verifyPeer: { spiffeId: API } });
      credentials.on('error', (e) => errors.push(e.code));
      const client = new EchoClient(`127.0.0.1:${port}`, credentials, {
        'grpc.initial_reconnect_backoff_ms': 100,
      }) as EchoClientInstance;
      cleanup.push(() => {
        client.close();
        credentials.close();
      });
      return client;
    };

    const client = connect(billing.source);
    const failures: string[] = [];
    let ok = 0;
    const stopAt = Date.now() + 4_000;
    await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        while (Date.now() < stopAt) {
          try {
            const r = await unary(client, i);
            expect(r.peer).toBe(BILLING);
            ok++;
          } catch (e) {
            failures.push((e as Error).message);
          }
        }
      }),
    );
    expect({ failures: failures.slice(0, 5), errors }).toEqual({ failures: [], errors: [] });
    expect(ok).toBeGreaterThan(20);
    // Both agents rotated; the server met several billing SVIDs, each over a new connection.
    expect(server.api.generation).toBeGreaterThanOrEqual(4);
    expect(billing.api.generation).toBeGreaterThanOrEqual(4);
    expect(seen.size).toBeGreaterThanOrEqual(3);

    // Same CA, same trust domain, valid SVID — but not the SPIFFE ID the server allows.
    await expect(unary(connect(impostor.source), 99)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('spiffe://example.org/impostor may not call'),
    });
  }, 60_000);

  it('the client refuses a server whose SVID carries another SPIFFE ID', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'example.org test SPIFFE CA' } });
    const notTheApi = await workload(ca, 'spiffe://example.org/not-the-api');
    const billing = await workload(ca, BILLING);
    const serverCredentials = createServerCredentials(notTheApi.source);
    const grpcServer = new grpc.Server();
    let handled = 0;
    grpcServer.addService(echoService, {
      unary: (_call: unknown, cb: grpc.sendUnaryData<EchoReply>) => {
        handled++;
        cb(null, { n: 0, peer: undefined });
      },
    });
    const port = await bindServer(grpcServer, serverCredentials);
    cleanup.push(async () => {
      await shutdown(grpcServer);
      serverCredentials.close();
    });
    const credentials = createChannelCredentials(billing.source, { verifyPeer: { spiffeId: API } });
    const client = new EchoClient(`127.0.0.1:${port}`, credentials) as EchoClientInstance;
    cleanup.push(() => client.close());
    await expect(unary(client, 1, 3_000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining("server's SPIFFE ID is spiffe://example.org/not-the-api"),
    });
    expect(handled).toBe(0);
  }, 30_000);
});
