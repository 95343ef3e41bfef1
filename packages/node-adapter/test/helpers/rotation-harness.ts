// Rotation under load: shared by test/load/rotation-under-load.test.ts (about 10 s) and
// bench/rotation-load.ts (60 s). Everything is real TLS on 127.0.0.1.
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCertificateAuthority } from '../../../core/src/ca/create-certificate-authority.js';
import { MutableCredentialSource } from '../../../core/src/source/mutable-credential-source.js';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { attachCredentials } from '../../src/server/attach-credentials.js';

export interface RotationLoadOptions {
  durationMs: number;
  /** Both server and client credentials are rotated this often. Default 200. */
  rotateEveryMs?: number;
  /** Concurrent request loops; half keep-alive, half one new connection per request. Default 16. */
  loops?: number;
}

export interface RotationLoadResult {
  requests: number;
  failed: number;
  failures: string[];
  tlsClientErrors: number;
  acceptedSockets: number;
  uncleanSockets: number;
  openSocketsAtEnd: number;
  streamExpectedBytes: number;
  streamReceivedBytes: number;
  streamExact: boolean;
  clientSwaps: number;
  serverSwaps: number;
  connections: number;
  /** Connections where the server saw another client certificate than the generation the client opened it with. */
  identityMismatches: number;
  latenciesMs: number[];
}

const serial = (pem: string): string => new X509Certificate(pem).serialNumber.toUpperCase();
const CHUNK = 1024;
const STREAM_INTERVAL_MS = 10;

function patternByte(offset: number): number {
  return offset % 251;
}

export async function runRotationLoad(options: RotationLoadOptions): Promise<RotationLoadResult> {
  const rotateEvery = options.rotateEveryMs ?? 200;
  const loops = options.loops ?? 16;
  const ca = await createCertificateAuthority({ subject: { commonName: 'rotation CA' } });
  const issue = async (cn: string, profile: 'client' | 'server') => {
    const c = await ca.issue({
      subject: { commonName: cn },
      profile: profile === 'server' ? 'both' : 'client',
      ipAddresses: ['127.0.0.1'],
    });
    return {
      certificateChainPem: c.chainPem,
      privateKeyPem: c.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    };
  };
  const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
  const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
  await serverSource.set(await issue('server-1', 'server'));
  await clientSource.set(await issue('client-1', 'client'));

  const streamChunks = Math.max(1, Math.floor((options.durationMs * 0.8) / STREAM_INTERVAL_MS));
  const streamExpectedBytes = streamChunks * CHUNK;
  const server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(streamExpectedBytes),
      });
      let i = 0;
      const tick = () => {
        const buf = Buffer.alloc(CHUNK);
        for (let j = 0; j < CHUNK; j++) buf[j] = patternByte(i * CHUNK + j);
        i += 1;
        if (i < streamChunks) {
          res.write(buf);
          setTimeout(tick, STREAM_INTERVAL_MS);
        } else res.end(buf);
      };
      tick();
      return;
    }
    res.end('ok');
  });
  let tlsClientErrors = 0;
  let accepted = 0;
  let unclean = 0;
  const open = new Set<Socket>();
  server.on('tlsClientError', () => {
    tlsClientErrors += 1;
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    open.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', (hadError) => {
      if (hadError) unclean += 1;
      open.delete(socket);
    });
  });
  // Pair what the server saw with what the client intended, per connection (client port).
  const serverSaw = new Map<number, string>();
  const clientSent = new Map<number, string>();
  let identityMismatches = 0;
  let connections = 0;
  const compare = (port: number) => {
    const a = serverSaw.get(port);
    const b = clientSent.get(port);
    if (a === undefined || b === undefined) return;
    if (a !== b) identityMismatches += 1;
    serverSaw.delete(port);
    clientSent.delete(port);
  };
  server.on('secureConnection', (s: TLSSocket) => {
    const peer = s.getPeerX509Certificate();
    if (s.remotePort === undefined) return;
    serverSaw.set(s.remotePort, peer?.serialNumber.toUpperCase() ?? 'none');
    compare(s.remotePort);
  });
  const attached = attachCredentials(server, serverSource);
  await attached.ready();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const serialByGeneration = new Map<number, string>([
    [1, serial(clientSource.current().certificateChainPem)],
  ]);
  clientSource.on('update', (c) => serialByGeneration.set(c.generation, serial(c.certificateChainPem)));
  const dispatcher = createMtlsDispatcher(clientSource, { drainTimeoutMs: options.durationMs * 2 + 10_000 });
  dispatcher.on(
    'socket' as 'connect',
    ((e: { generation: number; socket: TLSSocket }) => {
      connections += 1;
      const port = e.socket.localPort;
      if (port === undefined) return;
      clientSent.set(port, serialByGeneration.get(e.generation) ?? 'unknown');
      compare(port);
    }) as never,
  );

  // Issued up front so the rotation cadence measures swapping, not issuance.
  const planned: Array<[Awaited<ReturnType<typeof issue>>, Awaited<ReturnType<typeof issue>>]> = [];
  for (let n = 2; n <= Math.ceil(options.durationMs / rotateEvery) + 1; n++) {
    planned.push([await issue(`server-${n}`, 'server'), await issue(`client-${n}`, 'client')]);
  }

  let requests = 0;
  const failures: string[] = [];
  const latenciesMs: number[] = [];
  const deadline = Date.now() + options.durationMs;

  const stream = (async () => {
    let received = 0;
    let exact = true;
    const res = await dispatcher.request({ origin, path: '/stream', method: 'GET' });
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      for (let j = 0; j < chunk.length; j++) if (chunk[j] !== patternByte(received + j)) exact = false;
      received += chunk.length;
    }
    return { received, exact };
  })().catch((e: unknown) => {
    failures.push(`stream: ${String(e)}`);
    return { received: -1, exact: false };
  });

  const loop = async (fresh: boolean) => {
    while (Date.now() < deadline) {
      const started = performance.now();
      try {
        const res = await dispatcher.request({
          origin,
          path: '/',
          method: 'GET',
          ...(fresh ? { headers: { connection: 'close' } } : {}),
        });
        const body = await res.body.text();
        if (res.statusCode !== 200 || body !== 'ok') throw new Error(`status ${res.statusCode} body ${body}`);
        latenciesMs.push(performance.now() - started);
      } catch (e) {
        failures.push(`${(e as { code?: string }).code ?? ''} ${String(e)}`);
      }
      requests += 1;
    }
  };

  let clientSwaps = 0;
  let serverSwaps = 0;
  const rotate = (async () => {
    for (const [s, c] of planned) {
      if (Date.now() + rotateEvery >= deadline) break;
      await new Promise((r) => setTimeout(r, rotateEvery));
      await Promise.all([serverSource.set(s), clientSource.set(c)]);
      serverSwaps += 1;
      clientSwaps += 1;
    }
  })().catch((e: unknown) => {
    failures.push(`rotation: ${String(e)}`);
  });

  await Promise.all([...Array.from({ length: loops }, (_, i) => loop(i >= loops / 2)), rotate]);
  const streamed = await stream;
  await dispatcher.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // Give the last FIN/close events a moment to arrive.
  for (let i = 0; i < 50 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  const openSocketsAtEnd = open.size;
  for (const s of open) s.destroy();
  attached.detach();
  return {
    requests,
    failed: failures.length,
    failures: failures.slice(0, 10),
    tlsClientErrors,
    acceptedSockets: accepted,
    uncleanSockets: unclean,
    openSocketsAtEnd,
    streamExpectedBytes,
    streamReceivedBytes: streamed.received,
    streamExact: streamed.exact && streamed.received === streamExpectedBytes,
    clientSwaps,
    serverSwaps,
    connections,
    identityMismatches,
    latenciesMs,
  };
}
