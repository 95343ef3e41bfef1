import * as grpc from '@grpc/grpc-js';
import { MutableCredentialSource, parseCertificate } from '@mtlskit/core';
import {
  type ChannelCredentialsOptions,
  createChannelCredentials,
  createServerCredentials,
  type GrpcPeerIdentity,
  getGrpcPeerIdentity,
  type ServerCredentialsOptions,
} from '@mtlskit/grpc';
import { afterEach, expect, it } from 'vitest';
import {
  bindServer,
  EchoClient,
  type EchoClientInstance,
  type EchoReply,
  type EchoRequest,
  echoService,
  shutdown,
  TestIssuer,
  unary,
} from '../helpers/echo.js';

const cleanup: (() => Promise<void> | void)[] = [];

/** The identity, authorization and server-verification cases, for whichever grpc-js is loaded. */
export function peerIdentityCases(): void {
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(serverOptions: ServerCredentialsOptions = {}) {
    const issuer = await TestIssuer.create();
    const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
    await serverSource.set(await issuer.issue('server', 'api', 3_600_000, 'spiffe://example.org/api'));
    const clientInput = await issuer.issue(
      'client',
      'billing',
      3_600_000,
      'spiffe://example.org/ns/prod/billing',
    );
    const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
    await clientSource.set(clientInput);
    const seen: (GrpcPeerIdentity | undefined)[] = [];
    const server = new grpc.Server();
    server.addService(echoService, {
      unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
        const peer = getGrpcPeerIdentity(call);
        seen.push(peer);
        cb(null, { n: call.request.n, peer: peer?.spiffeId });
      },
    });
    const serverCredentials = createServerCredentials(serverSource, serverOptions);
    const port = await bindServer(server, serverCredentials);
    cleanup.push(async () => {
      await shutdown(server);
      serverCredentials.close();
    });
    const connect = (options: ChannelCredentialsOptions = {}, credentials?: grpc.ChannelCredentials) => {
      const client = new EchoClient(
        `127.0.0.1:${port}`,
        credentials ?? createChannelCredentials(clientSource, options),
      ) as EchoClientInstance;
      cleanup.push(() => client.close());
      return client;
    };
    return { issuer, port, seen, connect, clientInput };
  }

  it('getGrpcPeerIdentity: CN, SANs, SPIFFE ID and fingerprint of the verified client', async () => {
    const { seen, connect, clientInput } = await setup();
    expect((await unary(connect(), 1)).peer).toBe('spiffe://example.org/ns/prod/billing');
    const leaf = parseCertificate(clientInput.certificateChainPem);
    expect(seen[0]).toMatchObject({
      commonName: 'billing',
      subject: 'CN=billing',
      spiffeId: 'spiffe://example.org/ns/prod/billing',
      uris: ['spiffe://example.org/ns/prod/billing'],
      dnsNames: ['localhost'],
      fingerprintSha256: leaf.fingerprintSha256,
    });
    expect(seen[0]!.notAfter.getTime()).toBe(leaf.notAfter.getTime());
  });

  it('authorize: allowed by SPIFFE ID, refused with PERMISSION_DENIED otherwise', async () => {
    const allowed = await setup({
      authorize: (peer) => peer.spiffeId?.startsWith('spiffe://example.org/ns/prod/') === true,
    });
    expect((await unary(allowed.connect(), 2)).n).toBe(2);
    expect(allowed.seen[0]?.spiffeId).toBe('spiffe://example.org/ns/prod/billing');

    const methods: string[] = [];
    const refused = await setup({
      authorize: (peer, method) => {
        methods.push(method);
        return peer.spiffeId === 'spiffe://example.org/ns/prod/admin';
      },
    });
    await expect(unary(refused.connect(), 3)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining(
        'spiffe://example.org/ns/prod/billing may not call /mtlskit.test.Echo/Unary',
      ),
    });
    expect(methods).toEqual(['/mtlskit.test.Echo/Unary']);
    expect(refused.seen).toEqual([]);
  });

  it('requireClientCert: false lets a client without certificate in, unidentified', async () => {
    const { connect, seen, clientInput } = await setup({ requireClientCert: false });
    const anonymous = grpc.credentials.createSsl(Buffer.from(clientInput.trustAnchorsPem));
    expect((await unary(connect({}, anonymous), 4)).n).toBe(4);
    expect(seen).toEqual([undefined]);
  });

  it('requireClientCert (default) refuses a client without certificate during the handshake', async () => {
    const { connect, seen, clientInput } = await setup();
    const anonymous = grpc.credentials.createSsl(Buffer.from(clientInput.trustAnchorsPem));
    await expect(unary(connect({}, anonymous), 5, 3_000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    expect(seen).toEqual([]);
  });

  it('authorize without a verified client certificate: UNAUTHENTICATED', async () => {
    const { connect, clientInput } = await setup({ requireClientCert: false, authorize: () => true });
    const anonymous = grpc.credentials.createSsl(Buffer.from(clientInput.trustAnchorsPem));
    await expect(unary(connect({}, anonymous), 6)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('verifyPeer: the server by SPIFFE ID, by host name or by a function', async () => {
    const { connect } = await setup();
    expect((await unary(connect({ verifyPeer: { spiffeId: 'spiffe://example.org/api' } }), 7)).n).toBe(7);
    expect((await unary(connect({ verifyPeer: { spiffeId: ['spiffe://example.org/*'] } }), 8)).n).toBe(8);
    expect((await unary(connect({ verifyPeer: { hostname: 'localhost' } }), 9)).n).toBe(9);
    expect((await unary(connect({ verifyPeer: (p) => p.commonName === 'api' }), 10)).n).toBe(10);
    await expect(
      unary(connect({ verifyPeer: { spiffeId: 'spiffe://example.org/other' } }), 11, 3_000),
    ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(
      unary(connect({ verifyPeer: { hostname: 'api.example.org' } }), 12, 3_000),
    ).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    await expect(unary(connect({ verifyPeer: () => false }), 13, 3_000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });
}
