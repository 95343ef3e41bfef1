/**
 * Unary RPCs per second through @mtlskit/grpc credentials (createServerCredentials +
 * createChannelCredentials on a CredentialSource) against grpc-js' own static mTLS
 * credentials (ServerCredentials.createSsl + credentials.createSsl) with the same
 * certificates, in the same run and process: 16 concurrent unary loops over one channel
 * each. Slices alternate between the two setups; the ratio is the median of the per-round
 * ratios. A second pair of rows adds an `authorize` hook (a per-call interceptor).
 *
 * Run: npx tsx bench/grpc-throughput.ts   (about 40 s)
 */
import * as Grpc from '@grpc/grpc-js';
import { createCertificateAuthority } from '../packages/core/src/ca/create-certificate-authority.js';
import { MutableCredentialSource } from '../packages/core/src/source/mutable-credential-source.js';
import { createChannelCredentials } from '../packages/grpc/src/channel/create-channel-credentials.js';
import { createServerCredentials } from '../packages/grpc/src/server/create-server-credentials.js';
import type { BenchRow } from './lib/types.js';

// The root devDependency is the same copy packages/grpc resolves (one grpc-js instance).
const grpc = Grpc;

const BENCH = 'grpc-throughput';
const LOOPS = 16;
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

const codec = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const service = {
  echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: codec.serialize,
    requestDeserialize: codec.deserialize,
    responseSerialize: codec.serialize,
    responseDeserialize: codec.deserialize,
  },
} as unknown as Grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(service, 'Echo');
type EchoClient = InstanceType<typeof Client> & {
  echo(req: unknown, cb: (e: Grpc.ServiceError | null, r?: unknown) => void): void;
};

async function startServer(
  credentials: Grpc.ServerCredentials,
): Promise<{ port: number; server: Grpc.Server }> {
  const server = new grpc.Server();
  server.addService(service, {
    echo: (call: Grpc.ServerUnaryCall<unknown, unknown>, cb: Grpc.sendUnaryData<unknown>) =>
      cb(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, server };
}

async function drive(client: EchoClient, ms: number): Promise<{ rpcs: number; errors: number }> {
  const out = { rpcs: 0, errors: 0 };
  const end = performance.now() + ms;
  const payload = { hello: 'world', n: 42 };
  await Promise.all(
    Array.from({ length: LOOPS }, async () => {
      while (performance.now() < end) {
        try {
          await new Promise((resolve, reject) =>
            client.echo(payload, (e, r) => (e ? reject(e) : resolve(r))),
          );
          out.rpcs += 1;
        } catch {
          out.errors += 1;
        }
      }
    }),
  );
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function compare(label: string, baseline: EchoClient, mtlskit: EchoClient): Promise<BenchRow[]> {
  await drive(baseline, 300);
  await drive(mtlskit, 300);
  const ratios: number[] = [];
  let base = 0;
  let ours = 0;
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which setup goes first, so a drifting machine load hits both alike.
    let baseRound: { rpcs: number; errors: number };
    let oursRound: { rpcs: number; errors: number };
    if (round % 2 === 0) {
      baseRound = await drive(baseline, SLICE_MS);
      oursRound = await drive(mtlskit, SLICE_MS);
    } else {
      oursRound = await drive(mtlskit, SLICE_MS);
      baseRound = await drive(baseline, SLICE_MS);
    }
    base += baseRound.rpcs;
    ours += oursRound.rpcs;
    errors += baseRound.errors + oursRound.errors;
    ratios.push(oursRound.rpcs / baseRound.rpcs);
  }
  const seconds = (ROUNDS * SLICE_MS) / 1000;
  return [
    { bench: BENCH, metric: `${label}: createSsl baseline`, value: base / seconds, unit: 'RPC/s' },
    { bench: BENCH, metric: `${label}: mtlskit credentials`, value: ours / seconds, unit: 'RPC/s' },
    {
      bench: BENCH,
      metric: `${label}: mtlskit / createSsl`,
      value: median(ratios),
      unit: 'ratio',
      note: `target >= 0.95; median of ${ROUNDS} rounds; ${errors} errors`,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const ca = await createCertificateAuthority({ subject: { commonName: 'bench CA' } });
  const server = await ca.issue({
    profile: 'server',
    subject: { commonName: 'bench-server' },
    ipAddresses: ['127.0.0.1'],
  });
  const client = await ca.issue({ profile: 'client', subject: { commonName: 'bench-client' } });
  const caBuf = Buffer.from(ca.certificatePem);

  const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
  await serverSource.set({
    certificateChainPem: server.chainPem,
    privateKeyPem: server.privateKeyPem!,
    trustAnchorsPem: ca.certificatePem,
  });
  const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
  await clientSource.set({
    certificateChainPem: client.chainPem,
    privateKeyPem: client.privateKeyPem!,
    trustAnchorsPem: ca.certificatePem,
  });

  const staticServer = await startServer(
    grpc.ServerCredentials.createSsl(
      caBuf,
      [{ cert_chain: Buffer.from(server.chainPem), private_key: Buffer.from(server.privateKeyPem!) }],
      true,
    ),
  );
  const serverCreds = createServerCredentials(serverSource);
  const ourServer = await startServer(serverCreds);
  const authzCreds = createServerCredentials(serverSource, {
    authorize: (peer) => peer.commonName === 'bench-client',
  });
  const authzServer = await startServer(authzCreds);

  const staticClient = new Client(
    `127.0.0.1:${staticServer.port}`,
    grpc.credentials.createSsl(caBuf, Buffer.from(client.privateKeyPem!), Buffer.from(client.chainPem)),
  ) as EchoClient;
  const channelCreds = createChannelCredentials(clientSource);
  const ourClient = new Client(`127.0.0.1:${ourServer.port}`, channelCreds) as EchoClient;
  const authzClient = new Client(`127.0.0.1:${authzServer.port}`, channelCreds) as EchoClient;

  const rows = [
    ...(await compare('16 unary loops', staticClient, ourClient)),
    ...(await compare('16 unary loops, authorize hook', staticClient, authzClient)),
  ];
  for (const c of [staticClient, ourClient, authzClient]) c.close();
  for (const s of [staticServer, ourServer, authzServer]) s.server.forceShutdown();
  serverCreds.close();
  authzCreds.close();
  channelCreds.close();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(row);
}
