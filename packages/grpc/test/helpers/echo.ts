import { once } from 'node:events';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { type CertificateAuthority, type CredentialsInput, createCertificateAuthority } from '@mtlskit/core';

// A proto-less service: JSON messages, so tests need no code generation.
const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};

export interface EchoRequest {
  n: number;
  /** Server stream: how long to stream, and the gap between messages. */
  durationMs?: number;
  everyMs?: number;
}
export interface EchoReply {
  n: number;
  peer: string | undefined;
}

export const echoService = {
  unary: {
    path: '/mtlskit.test.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  stream: {
    path: '/mtlskit.test.Echo/Stream',
    requestStream: false,
    responseStream: true,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} as unknown as grpc.ServiceDefinition;

export const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');
export type EchoClientInstance = InstanceType<typeof EchoClient> & {
  unary(
    req: EchoRequest,
    options: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r?: EchoReply) => void,
  ): void;
  stream(req: EchoRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<EchoReply>;
};

export function unary(client: EchoClientInstance, n: number, deadlineMs = 10_000): Promise<EchoReply> {
  return new Promise((resolve, reject) => {
    client.unary({ n }, { deadline: Date.now() + deadlineMs }, (e, r) => (e ? reject(e) : resolve(r!)));
  });
}

export async function bindServer(server: grpc.Server, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (e, port) => (e ? reject(e) : resolve(port))),
  );
}

export function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}

/** A dev CA that issues short-lived leaves with explicit validity (core's CA backdates by a minute). */
export class TestIssuer {
  readonly ca: CertificateAuthority;
  private constructor(ca: CertificateAuthority) {
    this.ca = ca;
  }
  static async create(): Promise<TestIssuer> {
    return new TestIssuer(await createCertificateAuthority({ subject: { commonName: 'grpc test CA' } }));
  }
  async issue(
    kind: 'server' | 'client',
    commonName: string,
    lifetimeMs: number,
    spiffeId = `spiffe://example.org/${kind}`,
  ): Promise<CredentialsInput & { notAfter: Date }> {
    const now = Date.now();
    const issued = await this.ca.issue({
      profile: kind,
      subject: { commonName },
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      uris: [spiffeId],
      notBefore: new Date(now - 1000),
      notAfter: new Date(now + lifetimeMs),
    });
    return {
      certificateChainPem: issued.chainPem,
      privateKeyPem: issued.privateKeyPem!,
      trustAnchorsPem: this.ca.certificatePem,
      notAfter: issued.certificate.notAfter,
    };
  }
}

export interface ProxiedConnection {
  readonly openedAt: number;
  closedAt: number | undefined;
  /** The proxy's port towards the server: what the server sees as the peer port. */
  upstreamPort: number | undefined;
  /** Bytes the server sent: 0 means no TLS handshake happened (no certificate was presented). */
  bytesFromServer: number;
}

/**
 * A plain TCP relay between the channel and the server: it sees every connection open and
 * close (TLS stays end to end), an observer independent of the code under test.
 */
export async function startRelay(targetPort: number): Promise<{
  port: number;
  connections: ProxiedConnection[];
  close(): Promise<void>;
}> {
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const record: ProxiedConnection = {
      openedAt: Date.now(),
      closedAt: undefined,
      upstreamPort: undefined,
      bytesFromServer: 0,
    };
    connections.push(record);
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(down).add(up);
    up.on('connect', () => {
      record.upstreamPort = up.localPort;
    });
    up.on('data', (chunk: Buffer) => {
      record.bytesFromServer += chunk.length;
    });
    down.pipe(up);
    up.pipe(down);
    const end = () => {
      record.closedAt ??= Date.now();
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
