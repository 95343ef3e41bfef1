import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { type CredentialsInput, createCertificateAuthority, MutableCredentialSource } from '@mtlskit/core';
import { createChannelCredentials, createServerCredentials, getGrpcPeerIdentity } from '@mtlskit/grpc';

/** Options of {@link runGrpcRotation}. */
export interface GrpcRotationOptions {
  /** How long the client keeps calling, ms. Default `8_000`. */
  durationMs?: number;
  /** How often server and client each get a new certificate, ms. Default `1_000`. */
  rotateEveryMs?: number;
  /** Lifetime of every certificate, ms. Default `4_000`. */
  certificateLifetimeMs?: number;
  /** Concurrent unary call loops. Default `4`. */
  unaryLoops?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** What {@link runGrpcRotation} saw. */
export interface GrpcRotationResult {
  ok: boolean;
  unaryOk: number;
  /** Messages received on the server streams (one stream after another, 1 s each). */
  streamMessages: number;
  failures: string[];
  /** Client certificate generations the server saw, in order of first sight (`client-g1`, …). */
  clientGenerationsSeen: string[];
  serverGenerations: number;
  /** The code of the bad update pushed into the server source (a key that does not match). */
  refusedUpdate: string | undefined;
  /**
   * The control: a server with grpc-js' static `createSsl` credentials from the first
   * certificate. After that certificate's lifetime, a new client cannot connect to it.
   */
  staticServerError: string | undefined;
}

// A proto-less service with JSON messages, so the example needs no code generation.
const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const method = (path: string, responseStream: boolean) => ({
  path,
  requestStream: false,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const service = {
  hello: method('/example.Greeter/Hello', false),
  ticks: method('/example.Greeter/Ticks', true),
} as unknown as grpc.ServiceDefinition;
const GreeterClient = grpc.makeGenericClientConstructor(service, 'Greeter');
type Greeter = InstanceType<typeof GreeterClient> & {
  hello(
    req: { n: number },
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r?: { who: string }) => void,
  ): void;
  ticks(req: { ms: number }): grpc.ClientReadableStream<{ tick: number }>;
};

const SERVER_ID = 'spiffe://example.org/greeter';
const CLIENT_ID = 'spiffe://example.org/billing';

/**
 * A grpc-js server and client whose mTLS identities rotate every second while the client
 * keeps calling: `createServerCredentials` serves each new server certificate to new
 * connections and drains the old ones (GOAWAY: running calls finish, the channel
 * reconnects), `createChannelCredentials` presents each new client certificate on the next
 * connection. The server authorizes by SPIFFE ID, the client checks the server's SPIFFE ID.
 * A bad update (new certificate, old key) is refused while the old identity keeps serving.
 * A control server with static `createSsl` credentials stops accepting clients once its
 * certificate expired — the "restart the pods to pick up new certificates" problem.
 *
 * @example
 * ```ts
 * const result = await runGrpcRotation({ durationMs: 4_000, log: console.log });
 * console.log(result.clientGenerationsSeen); // one entry per client identity
 * ```
 */
export async function runGrpcRotation(options: GrpcRotationOptions = {}): Promise<GrpcRotationResult> {
  const durationMs = options.durationMs ?? 8_000;
  const rotateEvery = options.rotateEveryMs ?? 1_000;
  const lifetime = options.certificateLifetimeMs ?? 4_000;
  const loops = options.unaryLoops ?? 4;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const ca = await createCertificateAuthority({ subject: { commonName: 'grpc-rotation example CA' } });
  const issue = async (kind: 'server' | 'client', generation: number): Promise<CredentialsInput> => {
    const now = Date.now();
    const c = await ca.issue({
      profile: kind,
      subject: { commonName: `${kind}-g${generation}` },
      ipAddresses: ['127.0.0.1'],
      uris: [kind === 'server' ? SERVER_ID : CLIENT_ID],
      // Explicit validity: the dev CA would otherwise backdate notBefore by a minute.
      notBefore: new Date(now - 1_000),
      notAfter: new Date(now + lifetime),
    });
    return {
      certificateChainPem: c.chainPem,
      privateKeyPem: c.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    };
  };

  const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
  const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
  const firstServer = await issue('server', 1);
  const firstClient = await issue('client', 1);
  await serverSource.set(firstServer);
  await clientSource.set(firstClient);

  const serverCredentials = createServerCredentials(serverSource, {
    authorize: (peer) => peer.spiffeId === CLIENT_ID,
  });
  serverCredentials.on('update', (c) => log(`${stamp()}  server now serves generation ${c.generation}`));
  serverCredentials.on('error', (e) => log(`${stamp()}  server refused an update: ${e.code} — ${e.message}`));
  const seen: string[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    hello: (call: grpc.ServerUnaryCall<{ n: number }, unknown>, cb: grpc.sendUnaryData<{ who: string }>) => {
      const who = getGrpcPeerIdentity(call)?.commonName ?? 'unknown';
      if (!seen.includes(who)) {
        seen.push(who);
        log(`${stamp()}  server sees client certificate ${who}`);
      }
      cb(null, { who });
    },
    ticks: (call: grpc.ServerWritableStream<{ ms: number }, { tick: number }>) => {
      let tick = 0;
      const end = Date.now() + call.request.ms;
      const timer = setInterval(() => {
        call.write({ tick: tick++ });
        if (Date.now() >= end || call.cancelled) {
          clearInterval(timer);
          call.end();
        }
      }, 50);
    },
  });
  const bind = (s: grpc.Server, creds: grpc.ServerCredentials) =>
    new Promise<number>((resolve, reject) =>
      s.bindAsync('127.0.0.1:0', creds, (e, port) => (e ? reject(e) : resolve(port))),
    );
  const port = await bind(server, serverCredentials);
  log(`${stamp()}  gRPC server with rotating credentials on 127.0.0.1:${port}`);

  // The control: grpc-js' own credentials, read once.
  const control = new grpc.Server();
  control.addService(service, {
    hello: (_call: unknown, cb: grpc.sendUnaryData<{ who: string }>) => cb(null, { who: 'control' }),
    ticks: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  const controlPort = await bind(
    control,
    grpc.ServerCredentials.createSsl(
      Buffer.from(ca.certificatePem),
      [
        {
          cert_chain: Buffer.from(firstServer.certificateChainPem),
          private_key: Buffer.from(firstServer.privateKeyPem),
        },
      ],
      true,
    ),
  );
  log(`${stamp()}  control server (createSsl, read once) on 127.0.0.1:${controlPort}`);

  const channelCredentials = createChannelCredentials(clientSource, { verifyPeer: { spiffeId: SERVER_ID } });
  // grpc-js re-resolves a target at most once per initial_reconnect_backoff_ms (1 s by
  // default): with rotations every second, a shorter value lets each GOAWAY reconnect at once.
  const client = new GreeterClient(`127.0.0.1:${port}`, channelCredentials, {
    'grpc.initial_reconnect_backoff_ms': 200,
  }) as Greeter;

  let serverGen = 1;
  let clientGen = 1;
  let refusedUpdate: string | undefined;
  const rotation = setInterval(() => {
    const s = ++serverGen;
    const c = ++clientGen;
    void issue('server', s)
      .then((x) => serverSource.set(x))
      .catch(() => undefined);
    void issue('client', c)
      .then((x) => clientSource.set(x))
      .then(() => log(`${stamp()}  client identity is now client-g${c}`))
      .catch(() => undefined);
  }, rotateEvery);
  // Halfway, a bad update: a new certificate next to the previous key.
  const badUpdate = setTimeout(async () => {
    const next = await issue('server', 99);
    try {
      await serverSource.set({ ...next, privateKeyPem: firstServer.privateKeyPem });
    } catch (e) {
      refusedUpdate = (e as { code?: string }).code;
    }
  }, durationMs / 2);

  const failures: string[] = [];
  let unaryOk = 0;
  let streamMessages = 0;
  const stopAt = Date.now() + durationMs;
  const callLoops = Array.from({ length: loops }, async (_, i) => {
    while (Date.now() < stopAt) {
      try {
        await new Promise((resolve, reject) =>
          client.hello({ n: i }, { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r))),
        );
        unaryOk++;
      } catch (e) {
        failures.push(`hello: ${(e as Error).message}`);
      }
    }
  });
  const streams = (async () => {
    while (Date.now() < stopAt) {
      await new Promise<void>((resolve) => {
        const call = client.ticks({ ms: 1_000 });
        call.on('data', () => {
          streamMessages++;
        });
        call.on('error', (e: Error) => {
          failures.push(`ticks: ${e.message}`);
          resolve();
        });
        call.on('end', () => resolve());
      });
    }
  })();
  await Promise.all([...callLoops, streams]);
  clearInterval(rotation);
  clearTimeout(badUpdate);

  // By now the first certificate has expired: a new client of the control server fails.
  let staticServerError: string | undefined;
  const controlClient = new GreeterClient(
    `127.0.0.1:${controlPort}`,
    createChannelCredentials(clientSource),
  ) as Greeter;
  try {
    await new Promise((resolve, reject) =>
      controlClient.hello({ n: 0 }, { deadline: Date.now() + 5_000 }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    log(`${stamp()}  control server still answered (its certificate has not expired yet)`);
  } catch (e) {
    staticServerError = grpc.status[(e as grpc.ServiceError).code];
    log(`${stamp()}  control server: new client fails with ${staticServerError} — ${(e as Error).message}`);
  }
  controlClient.close();
  client.close();
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  control.forceShutdown();
  serverCredentials.close();
  channelCredentials.close();

  const expired = Date.now() > started + lifetime;
  return {
    ok:
      failures.length === 0 &&
      seen.length >= 2 &&
      refusedUpdate === 'ERR_MTLS_KEY_MISMATCH' &&
      (!expired || staticServerError !== undefined),
    unaryOk,
    streamMessages,
    failures,
    clientGenerationsSeen: seen,
    serverGenerations: serverSource.generation,
    refusedUpdate,
    staticServerError,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runGrpcRotation({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nunary calls ok ${r.unaryOk}, stream messages ${r.streamMessages}, failed ${r.failures.length}; ` +
          `server generations ${r.serverGenerations}, client identities seen by the server ${r.clientGenerationsSeen.length}; ` +
          `bad update refused with ${r.refusedUpdate}; control server: ${r.staticServerError ?? 'still up'}`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.failures.slice(0, 5).join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`grpc-rotation failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
