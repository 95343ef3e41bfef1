import * as grpc from '@grpc/grpc-js';
import { MutableCredentialSource } from '@mtlskit/core';
import { createChannelCredentials, createServerCredentials, getGrpcPeerIdentity } from '@mtlskit/grpc';
import {
  bindServer,
  EchoClient,
  type EchoClientInstance,
  type EchoReply,
  type EchoRequest,
  echoService,
  shutdown,
  startRelay,
  TestIssuer,
  unary,
} from './echo.js';

export interface ScenarioOptions {
  durationMs: number;
  /** How often each side gets a new identity; `undefined` = never. */
  serverRotateEveryMs: number | undefined;
  clientRotateEveryMs: number | undefined;
  serverLifetimeMs: number;
  clientLifetimeMs: number;
  unaryLoops: number;
  /** Long server streams run one after another for the whole test, each this long. */
  streamMs: number;
  streamEveryMs?: number;
}

export interface ScenarioResult {
  unaryOk: number;
  unaryFailed: string[];
  streamsOk: number;
  streamMessages: number;
  streamsFailed: string[];
  serverGenerations: number;
  clientGenerations: number;
  /** Distinct client certificates the server saw on calls. */
  clientIdentitiesSeen: number;
  connections: number;
  /** Connections still open (or closed) after a certificate they carried had expired. */
  pastNotAfter: string[];
  /** `error` events of both credentials. */
  credentialErrors: string[];
}

interface Installed {
  at: number;
  notAfter: number;
}

/** The newest generation installed at or before `t` (certificates only get later notAfters). */
function notAfterAt(timeline: Installed[], t: number): number {
  let found = timeline[0]!.notAfter;
  for (const i of timeline) if (i.at <= t) found = i.notAfter;
  return found;
}

/**
 * A real grpc-js server and client on 127.0.0.1, connected through a TCP relay that records
 * every connection, rotating identities under concurrent unary loops and a server stream.
 */
export async function runRotationScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const issuer = await TestIssuer.create();
  const serverSource = new MutableCredentialSource({ purpose: 'serverAuth' });
  const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
  let serverGen = 1;
  let clientGen = 1;
  await serverSource.set(await issuer.issue('server', 'server-g1', o.serverLifetimeMs));
  await clientSource.set(await issuer.issue('client', 'client-g1', o.clientLifetimeMs));

  const serverCreds = createServerCredentials(serverSource);
  const clientCreds = createChannelCredentials(clientSource);
  const serverTimeline: Installed[] = [{ at: 0, notAfter: serverSource.current().notAfter.getTime() }];
  const clientTimeline: Installed[] = [{ at: 0, notAfter: clientSource.current().notAfter.getTime() }];
  serverCreds.on('update', (c) => serverTimeline.push({ at: Date.now(), notAfter: c.notAfter.getTime() }));
  clientCreds.on('update', (c) => clientTimeline.push({ at: Date.now(), notAfter: c.notAfter.getTime() }));
  const errors: string[] = [];
  serverCreds.on('error', (e) => errors.push(`server: ${e.code} ${e.message}`));
  clientCreds.on('error', (e) => errors.push(`client: ${e.code} ${e.message}`));

  // peer port (as the server sees it) → client certificate notAfter; fingerprints seen
  const clientCertByPort = new Map<number, number>();
  const fingerprints = new Set<string>();
  const seen = (
    call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  ) => {
    const peer = getGrpcPeerIdentity(call);
    if (peer === undefined) throw new Error('no verified client identity');
    fingerprints.add(peer.fingerprintSha256);
    const port = Number(call.getPeer().split(':').pop());
    clientCertByPort.set(port, Math.min(clientCertByPort.get(port) ?? Infinity, peer.notAfter.getTime()));
    return peer.commonName;
  };

  const server = new grpc.Server();
  server.addService(echoService, {
    unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
      cb(null, { n: call.request.n, peer: seen(call) });
    },
    stream: (call: grpc.ServerWritableStream<EchoRequest, EchoReply>) => {
      const peer = seen(call);
      const end = Date.now() + (call.request.durationMs ?? 1000);
      let n = 0;
      const timer = setInterval(() => {
        if (call.cancelled) {
          clearInterval(timer);
          return;
        }
        call.write({ n: n++, peer });
        if (Date.now() >= end) {
          clearInterval(timer);
          call.end();
        }
      }, call.request.everyMs ?? 50);
    },
  });
  const port = await bindServer(server, serverCreds);
  const relay = await startRelay(port);
  // The server certificate carries IP SAN 127.0.0.1: the default host-name check applies.
  // grpc-js re-resolves a target at most once per initial_reconnect_backoff_ms (1 s by
  // default), so after a GOAWAY a channel reconnects at most once a second; rotating every
  // 500 ms needs a shorter one (calls would wait, not fail, without it).
  const channelClient = new EchoClient(`127.0.0.1:${relay.port}`, clientCreds, {
    'grpc.initial_reconnect_backoff_ms': 100,
  }) as EchoClientInstance;

  // Setup took a while: start both sides on fresh certificates so lifetimes count from here.
  await serverSource.set(await issuer.issue('server', `server-g${++serverGen}`, o.serverLifetimeMs));
  await clientSource.set(await issuer.issue('client', `client-g${++clientGen}`, o.clientLifetimeMs));
  const started = Date.now();
  const stopAt = started + o.durationMs;
  const timers: NodeJS.Timeout[] = [];
  const rotations: Promise<unknown>[] = [];
  if (o.serverRotateEveryMs !== undefined) {
    timers.push(
      setInterval(() => {
        const g = ++serverGen;
        rotations.push(
          issuer.issue('server', `server-g${g}`, o.serverLifetimeMs).then((c) => serverSource.set(c)),
        );
      }, o.serverRotateEveryMs),
    );
  }
  if (o.clientRotateEveryMs !== undefined) {
    timers.push(
      setInterval(() => {
        const g = ++clientGen;
        rotations.push(
          issuer.issue('client', `client-g${g}`, o.clientLifetimeMs).then((c) => clientSource.set(c)),
        );
      }, o.clientRotateEveryMs),
    );
  }

  const result: ScenarioResult = {
    unaryOk: 0,
    unaryFailed: [],
    streamsOk: 0,
    streamMessages: 0,
    streamsFailed: [],
    serverGenerations: 0,
    clientGenerations: 0,
    clientIdentitiesSeen: 0,
    connections: 0,
    pastNotAfter: [],
    credentialErrors: [],
  };
  const loops = Array.from({ length: o.unaryLoops }, async (_, i) => {
    let n = 0;
    while (Date.now() < stopAt) {
      try {
        const r = await unary(channelClient, i * 1_000_000 + n);
        if (r.n !== i * 1_000_000 + n) throw new Error(`echo mismatch ${r.n}`);
        result.unaryOk++;
      } catch (e) {
        result.unaryFailed.push(`${(e as grpc.ServiceError).code}: ${(e as Error).message}`);
      }
      n++;
    }
  });
  const streams = (async () => {
    while (Date.now() < stopAt) {
      const durationMs = Math.min(o.streamMs, Math.max(50, stopAt - Date.now()));
      await new Promise<void>((resolve) => {
        const call = channelClient.stream({ n: 0, durationMs, everyMs: o.streamEveryMs ?? 50 });
        let last = -1;
        call.on('data', (m: EchoReply) => {
          if (m.n !== last + 1) result.streamsFailed.push(`gap: ${last} → ${m.n}`);
          last = m.n;
          result.streamMessages++;
        });
        call.on('error', (e: grpc.ServiceError) => {
          result.streamsFailed.push(`${e.code}: ${e.message} after ${last + 1} messages`);
          resolve();
        });
        call.on('end', () => {
          result.streamsOk++;
          resolve();
        });
      });
    }
  })();
  await Promise.all([...loops, streams]);
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(rotations);

  channelClient.close();
  await shutdown(server);
  serverCreds.close();
  clientCreds.close();
  await new Promise((r) => setTimeout(r, 50));
  await relay.close();

  result.serverGenerations = serverSource.generation;
  result.clientGenerations = clientSource.generation;
  result.clientIdentitiesSeen = fingerprints.size;
  result.connections = relay.connections.length;
  for (const c of relay.connections) {
    if (c.bytesFromServer === 0) continue; // no handshake: no certificate presented
    // The TLS handshake happens after the TCP connect, with the generation installed then
    // or a later one: the notAfter installed at connect time is a lower bound.
    const serverNotAfter = notAfterAt(serverTimeline, c.openedAt);
    const clientNotAfter =
      (c.upstreamPort !== undefined ? clientCertByPort.get(c.upstreamPort) : undefined) ??
      notAfterAt(clientTimeline, c.openedAt);
    const limit = Math.min(serverNotAfter, clientNotAfter);
    // Connections still open at shutdown were closed by the test, not by the rotation logic.
    const closedAt = c.closedAt ?? Date.now();
    if (closedAt > limit) {
      result.pastNotAfter.push(
        `connection opened at +${c.openedAt - started} ms closed at +${closedAt - started} ms, certificate expired at +${limit - started} ms`,
      );
    }
  }
  result.credentialErrors = errors;
  return result;
}
