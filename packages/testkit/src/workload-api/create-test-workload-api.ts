import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { loadWorkloadApi, WORKLOAD_HEADER } from '@mtlskit/spiffe';
import { JwtIssuer, toStruct } from './jwt-issuer.js';
import { concatenatedDer, type TestSvidInput, toWire, type X509SvidWire } from './svid-message.js';

/** Options of {@link createTestWorkloadApi}. */
export interface CreateTestWorkloadApiOptions {
  /** Unix socket path. Default: `agent.sock` in a new temporary directory (removed on `close()`). */
  socketPath?: string;
  /** Default `'example.org'`. */
  trustDomain?: string;
  /** The SPIFFE IDs the workload gets an SVID for, default SVID first. Default `['spiffe://<trustDomain>/workload']`. */
  spiffeIds?: readonly string[];
  /** Lifetime of issued X.509-SVIDs. Default 1 hour. */
  svidTtlMs?: number;
  /** Rotate the SVIDs on this period (ms). Default: only on `rotate()`. */
  rotateEveryMs?: number;
  /** DNS SANs besides the SPIFFE ID, so SVIDs also pass host-name checks. Default `['localhost']`. */
  dnsNames?: readonly string[];
  /** IP SANs besides the SPIFFE ID. Default `['127.0.0.1']`. */
  ipAddresses?: readonly string[];
  /** Answer calls without `workload.spiffe.io: true` with InvalidArgument, as SPIRE does. Default `true`. */
  requireHeader?: boolean;
  /** Federated bundles (PEM) keyed by trust domain, sent with every X.509-SVID message. Default none. */
  federatedBundles?: Readonly<Record<string, string>>;
  /** Lifetime of issued JWT-SVIDs. Default 5 minutes. */
  jwtTtlMs?: number;
  /**
   * The CA that signs SVIDs. Default: a new ECDSA P-256 CA for the trust domain. Servers
   * given the same CA act as agents of one trust domain: they also share the JWT signing key.
   */
  ca?: CertificateAuthority;
}

/** Switchable misbehaviour of the test Workload API. */
export interface WorkloadApiFaults {
  /** Every new call is answered PermissionDenied (no identity for this workload yet). */
  permissionDenied: boolean;
  /** New `FetchX509SVID` streams stay open but never send anything. */
  stallNewStreams: boolean;
}

/** One entry of {@link TestWorkloadApi.calls}. */
export interface WorkloadApiCall {
  readonly method: string;
  /** The `workload.spiffe.io` header as sent (undefined when missing). */
  readonly header: string | undefined;
  readonly at: Date;
}

/** The handle of {@link createTestWorkloadApi}. */
export interface TestWorkloadApi {
  /** `unix:///…/agent.sock`: pass it as `socketPath` or `SPIFFE_ENDPOINT_SOCKET`. */
  readonly address: string;
  readonly socketPath: string;
  readonly trustDomain: string;
  /** The CA signing the SVIDs. */
  readonly ca: CertificateAuthority;
  /** The trust domain bundle (PEM). */
  readonly bundlePem: string;
  /** The JWT bundle (JWKS) of the trust domain. */
  readonly jwks: { keys: object[] };
  /** Number of SVID sets issued so far (1 after creation). */
  readonly generation: number;
  /** Serial numbers (upper-case hex, as Node prints them) of the default SVID of every generation, in order. */
  readonly serials: readonly string[];
  /** The SVID set served now. */
  readonly svids: readonly TestSvidInput[];
  /** Open `FetchX509SVID` streams. */
  readonly openStreams: number;
  /** Every call received, with its header. */
  readonly calls: readonly WorkloadApiCall[];
  readonly faults: WorkloadApiFaults;
  /** Issues a new SVID for every SPIFFE ID and pushes the set to every open stream. */
  rotate(): Promise<void>;
  /** Serves `svids` (any material, bad included) from now on and pushes them to every open stream. */
  push(svids: readonly TestSvidInput[]): void;
  /** Ends every open stream with `Unavailable`. */
  dropStreams(): void;
  /** Keeps every open stream open but silent from now on (new streams are served). */
  stallOpenStreams(): void;
  /** Shuts the server down (the socket disappears; open streams fail). */
  stop(): Promise<void>;
  /** Serves again on the same socket after `stop()`. */
  start(): Promise<void>;
  /** Stops rotation and the server and removes the temporary socket directory. */
  close(): Promise<void>;
}

interface OpenStream {
  readonly call: grpc.ServerWritableStream<unknown, unknown>;
  stalled: boolean;
}

type Handler = grpc.UntypedHandleCall;

/**
 * A SPIFFE Workload API server on a unix socket for tests (what SPIRE's agent or `tbot`
 * serve): issues X.509-SVIDs from a test CA, rotates them on demand or on a timer, serves
 * JWT-SVIDs and JWT bundles, and misbehaves on request: PermissionDenied, dropped streams,
 * silent streams, a restart, and a missing `workload.spiffe.io` header refused. Real
 * grpc-js, real certificates.
 *
 * @example
 * ```ts
 * import { createTestWorkloadApi } from '@mtlskit/testkit';
 * import { createWorkloadApiSource } from '@mtlskit/spiffe';
 * const api = await createTestWorkloadApi({ rotateEveryMs: 1000 });
 * const source = createWorkloadApiSource({ socketPath: api.address });
 * console.log((await source.ready()).spiffeId); // spiffe://example.org/workload
 * await source.close();
 * await api.close();
 * ```
 */
export async function createTestWorkloadApi(
  options: CreateTestWorkloadApiOptions = {},
): Promise<TestWorkloadApi> {
  const trustDomain = options.trustDomain ?? 'example.org';
  const spiffeIds = [...(options.spiffeIds ?? [`spiffe://${trustDomain}/workload`])];
  const svidTtlMs = options.svidTtlMs ?? 3_600_000;
  const requireHeader = options.requireHeader !== false;
  const tempDir = options.socketPath === undefined ? mkdtempSync(join(tmpdir(), 'mtlskit-wl-')) : undefined;
  const socketPath = options.socketPath ?? join(tempDir!, 'agent.sock');
  const ca =
    options.ca ??
    (await createCertificateAuthority({
      subject: { commonName: `${trustDomain} test SPIFFE CA`, organization: 'SPIFFE' },
    }));
  const bundlePem = ca.certificatePem;
  const jwt = await jwtIssuerOf(ca);
  const faults: WorkloadApiFaults = { permissionDenied: false, stallNewStreams: false };
  const calls: WorkloadApiCall[] = [];
  const streams = new Set<OpenStream>();
  const serials: string[] = [];
  let svids: TestSvidInput[] = [];
  let generation = 0;
  let server: grpc.Server | undefined;
  let rotateTimer: NodeJS.Timeout | undefined;

  const message = (): { svids: X509SvidWire[]; crl: Buffer[]; federated_bundles: Record<string, Buffer> } => {
    const federated: Record<string, Buffer> = {};
    for (const [td, pem] of Object.entries(options.federatedBundles ?? {})) {
      federated[`spiffe://${td}`] = concatenatedDer(pem);
    }
    return { svids: svids.map((s) => toWire(s, bundlePem)), crl: [], federated_bundles: federated };
  };

  const broadcast = (): void => {
    const m = message();
    for (const s of streams) if (!s.stalled) s.call.write(m);
  };

  const issue = async (): Promise<void> => {
    const next: TestSvidInput[] = [];
    // Explicit validity: the dev CA would backdate notBefore by a minute, eating short lifetimes.
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const notAfter = new Date(notBefore.getTime() + svidTtlMs);
    for (const id of spiffeIds) {
      const leaf = await ca.issue({
        notBefore,
        notAfter,
        profile: 'both',
        uris: [id],
        dnsNames: options.dnsNames ?? ['localhost'],
        ipAddresses: options.ipAddresses ?? ['127.0.0.1'],
      });
      next.push({ spiffeId: id, certificateChainPem: leaf.chainPem, privateKeyPem: leaf.privateKeyPem! });
      if (next.length === 1) serials.push(leaf.certificate.serialNumber.toUpperCase());
    }
    svids = next;
    generation++;
  };

  // Records the call; answers it with an error (header missing, PermissionDenied) or returns true to serve it.
  const admit = (
    method: string,
    metadata: grpc.Metadata,
    fail: (e: Partial<grpc.StatusObject>) => void,
  ): boolean => {
    const header = metadata.get(WORKLOAD_HEADER)[0];
    calls.push({ method, header: header === undefined ? undefined : String(header), at: new Date() });
    if (requireHeader && String(header) !== 'true') {
      fail({ code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
      return false;
    }
    if (faults.permissionDenied) {
      fail({ code: grpc.status.PERMISSION_DENIED, details: 'no identity issued' });
      return false;
    }
    return true;
  };

  const fetchX509Svid: Handler = (call: grpc.ServerWritableStream<unknown, unknown>) => {
    if (!admit('FetchX509SVID', call.metadata, (e) => call.emit('error', e))) return;
    const open: OpenStream = { call, stalled: faults.stallNewStreams };
    streams.add(open);
    const forget = (): void => {
      streams.delete(open);
    };
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    if (!open.stalled) call.write(message());
  };

  const fetchJwtSvid: Handler = async (
    call: grpc.ServerUnaryCall<{ audience: string[]; spiffe_id: string }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    if (!admit('FetchJWTSVID', call.metadata, (e) => callback(e as grpc.ServiceError))) return;
    const { audience, spiffe_id } = call.request;
    if (audience.length === 0) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'audience must be specified',
      } as grpc.ServiceError);
      return;
    }
    const ids = spiffe_id === '' ? spiffeIds : spiffeIds.filter((id) => id === spiffe_id);
    if (ids.length === 0) {
      callback({ code: grpc.status.PERMISSION_DENIED, details: 'no identity issued' } as grpc.ServiceError);
      return;
    }
    const out = [];
    for (const id of ids)
      out.push({ spiffe_id: id, svid: await jwt.sign(id, audience, options.jwtTtlMs ?? 300_000), hint: '' });
    callback(null, { svids: out });
  };

  const fetchJwtBundles: Handler = (call: grpc.ServerWritableStream<unknown, unknown>) => {
    if (!admit('FetchJWTBundles', call.metadata, (e) => call.emit('error', e))) return;
    call.write({ bundles: { [`spiffe://${trustDomain}`]: Buffer.from(JSON.stringify(jwt.jwks)) } });
  };

  const validateJwtSvid: Handler = async (
    call: grpc.ServerUnaryCall<{ audience: string; svid: string }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    if (!admit('ValidateJWTSVID', call.metadata, (e) => callback(e as grpc.ServiceError))) return;
    try {
      const claims = await jwt.verify(call.request.svid, call.request.audience);
      callback(null, { spiffe_id: claims.sub ?? '', claims: toStruct(claims as Record<string, unknown>) });
    } catch (e) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `unable to validate JWT: ${(e as { code?: string }).code ?? 'invalid'}`,
      } as grpc.ServiceError);
    }
  };

  const fetchX509Bundles: Handler = (call: grpc.ServerWritableStream<unknown, unknown>) => {
    if (!admit('FetchX509Bundles', call.metadata, (e) => call.emit('error', e))) return;
    call.write({ crl: [], bundles: { [`spiffe://${trustDomain}`]: concatenatedDer(bundlePem) } });
  };

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    rmSync(socketPath, { force: true });
    const s = new grpc.Server();
    s.addService(loadWorkloadApi().service, {
      FetchX509SVID: fetchX509Svid,
      FetchX509Bundles: fetchX509Bundles,
      FetchJWTSVID: fetchJwtSvid,
      FetchJWTBundles: fetchJwtBundles,
      ValidateJWTSVID: validateJwtSvid,
    });
    await new Promise<void>((resolve, reject) =>
      s.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    server = s;
  };

  const stop = async (): Promise<void> => {
    const s = server;
    if (s === undefined) return;
    server = undefined;
    for (const open of streams)
      open.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'agent shutting down' });
    streams.clear();
    s.forceShutdown();
  };

  await issue();
  await start();
  if (options.rotateEveryMs !== undefined) {
    let rotating = false;
    rotateTimer = setInterval(() => {
      if (rotating) return;
      rotating = true;
      issue()
        .then(broadcast)
        .finally(() => {
          rotating = false;
        });
    }, options.rotateEveryMs);
    rotateTimer.unref();
  }

  return {
    address: `unix://${socketPath}`,
    socketPath,
    trustDomain,
    ca,
    bundlePem,
    jwks: jwt.jwks as { keys: object[] },
    get generation() {
      return generation;
    },
    serials,
    get svids() {
      return svids;
    },
    get openStreams() {
      return streams.size;
    },
    calls,
    faults,
    async rotate() {
      await issue();
      broadcast();
    },
    push(next) {
      svids = [...next];
      broadcast();
    },
    dropStreams() {
      for (const open of streams)
        open.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'stream dropped by the test' });
      streams.clear();
    },
    stallOpenStreams() {
      for (const open of streams) open.stalled = true;
    },
    stop,
    start,
    async close() {
      clearInterval(rotateTimer);
      await stop();
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

// One JWT signing key per CA: agents of one trust domain share its JWT bundle.
const jwtIssuers = new WeakMap<CertificateAuthority, Promise<JwtIssuer>>();
function jwtIssuerOf(ca: CertificateAuthority): Promise<JwtIssuer> {
  let issuer = jwtIssuers.get(ca);
  if (issuer === undefined) {
    issuer = JwtIssuer.create();
    jwtIssuers.set(ca, issuer);
  }
  return issuer;
}
