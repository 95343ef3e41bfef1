import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createStaticCredentialSource,
  MutableCredentialSource,
} from '@mtlskit/core';
import {
  attachCredentials,
  createMtlsHttpsAgent,
  createPeerAllowList,
  getPeerIdentity,
} from '@mtlskit/node-adapter';

/** Options of {@link runGatewayUpstream}. */
export interface GatewayUpstreamOptions {
  /** Lifetime of each client certificate the gateway holds, ms. Default `6_000`. */
  certificateLifetimeMs?: number;
  /** How often the gateway's client identity is replaced, ms. Default `2_500`. */
  rotateEveryMs?: number;
  /** How many times it is replaced. Default `3`. */
  rotations?: number;
  /** Concurrent callers of the gateway. Default `4`. */
  concurrency?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** What {@link runGatewayUpstream} saw. */
export interface GatewayUpstreamResult {
  ok: boolean;
  requestsOk: number;
  requestsFailed: number;
  failures: string[];
  /** Serials of the client certificates the gateway was given, in order. */
  issuedSerials: string[];
  /** Serials of the client certificates the upstream saw, in order of first sight. */
  upstreamSawSerials: string[];
  /** TLS connections the upstream accepted (keep-alive: far fewer than requests). */
  upstreamConnections: number;
  /** The generation the gateway's https.Agent ended on. */
  agentGeneration: number;
}

function issueClient(ca: CertificateAuthority, lifetime: number) {
  const now = Date.now();
  return ca.issue({
    profile: 'client',
    subject: { commonName: 'api-gateway' },
    notBefore: new Date(now - 1_000),
    notAfter: new Date(now + lifetime),
  });
}

/**
 * An API gateway in front of an mTLS upstream: callers talk plain HTTP to the gateway,
 * which forwards every request with `node:https` through `createMtlsHttpsAgent`, holding
 * a client certificate for the backend. The gateway's client identity is replaced
 * (`MutableCredentialSource.set`) while requests flow: new connections present the new
 * certificate, keep-alive sockets of the old one are retired, no request fails.
 *
 * @example
 * ```ts
 * const result = await runGatewayUpstream({ certificateLifetimeMs: 3_000, rotateEveryMs: 1_000, log: console.log });
 * console.log(result.upstreamSawSerials); // every client certificate the gateway held
 * ```
 */
export async function runGatewayUpstream(
  options: GatewayUpstreamOptions = {},
): Promise<GatewayUpstreamResult> {
  const lifetime = options.certificateLifetimeMs ?? 6_000;
  const rotateEvery = options.rotateEveryMs ?? 2_500;
  const rotations = options.rotations ?? 3;
  const concurrency = options.concurrency ?? 4;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  // One CA for the whole example: it signs the upstream's server certificate and the
  // gateway's client certificates.
  const ca = await createCertificateAuthority({ subject: { commonName: 'gateway example CA' } });

  // The upstream: requires a client certificate from the CA, and only the gateway's CN.
  const upstreamIdentity = await ca.issue({
    profile: 'server',
    subject: { commonName: 'billing.internal' },
    ipAddresses: ['127.0.0.1'],
    validityMs: 3_600_000,
  });
  let upstreamConnections = 0;
  const upstreamSawSerials: string[] = [];
  const upstream = https.createServer((req, res) => {
    const peer = getPeerIdentity(req);
    const serial = peer?.serialNumber.toLowerCase() ?? '';
    if (!upstreamSawSerials.includes(serial)) {
      upstreamSawSerials.push(serial);
      log(`${stamp()}  upstream: first request from client certificate ${serial} (CN=${peer?.commonName})`);
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ caller: peer?.commonName ?? null, serial }));
  });
  upstream.on('secureConnection', () => upstreamConnections++);
  const upstreamTls = attachCredentials(
    upstream,
    createStaticCredentialSource({
      certificateChainPem: upstreamIdentity.chainPem,
      privateKeyPem: upstreamIdentity.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    }),
    { authorize: createPeerAllowList({ commonNames: ['api-gateway'] }) },
  );
  await upstreamTls.ready();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  log(`${stamp()}  upstream (mTLS, allows CN=api-gateway) on https://127.0.0.1:${upstreamPort}`);

  // The gateway's client identity, replaced while traffic flows (from a secret store, an
  // agent, a file: anything that is a CredentialSource works the same).
  const identity = new MutableCredentialSource({ purpose: 'clientAuth' });
  const issuedSerials: string[] = [];
  const rotate = async () => {
    const issued = await issueClient(ca, lifetime);
    const c = await identity.set({
      certificateChainPem: issued.chainPem,
      privateKeyPem: issued.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    });
    issuedSerials.push(issued.certificate.serialNumber.toLowerCase());
    log(
      `${stamp()}  gateway client identity → generation ${c.generation} (serial ${issued.certificate.serialNumber})`,
    );
  };
  await rotate();
  const upstreamAgent = createMtlsHttpsAgent(identity, { agentOptions: { keepAlive: true, maxSockets: 8 } });

  // The gateway: plain HTTP in, mTLS out.
  const gateway = http.createServer((req, res) => {
    const out = https.request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        path: req.url,
        method: req.method,
        headers: { 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        agent: upstreamAgent,
        timeout: 5_000,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'text/plain' });
        up.pipe(res);
      },
    );
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway: ${e.message}`);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/invoices`;
  log(`${stamp()}  gateway on ${gatewayUrl} → upstream over mTLS`);

  const callerAgent = new http.Agent({ keepAlive: true });
  const call = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(gatewayUrl, { agent: callerAgent, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });

  let requestsOk = 0;
  let requestsFailed = 0;
  const failures: string[] = [];
  let stop = false;
  const loop = async () => {
    while (!stop) {
      try {
        const r = await call();
        const body = r.status === 200 ? (JSON.parse(r.body) as { caller?: string }) : undefined;
        if (body?.caller === 'api-gateway') requestsOk++;
        else {
          requestsFailed++;
          if (failures.length < 10) failures.push(`${r.status} ${r.body}`);
        }
      } catch (e) {
        requestsFailed++;
        if (failures.length < 10) failures.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);

  try {
    for (let i = 0; i < rotations; i++) {
      await new Promise((r) => setTimeout(r, rotateEvery));
      await rotate();
    }
    await new Promise((r) => setTimeout(r, Math.min(rotateEvery, 1_000)));
  } finally {
    stop = true;
    await Promise.all(loops);
    callerAgent.destroy();
    upstreamAgent.destroy();
    gateway.closeAllConnections();
    upstream.closeAllConnections();
    await Promise.all([new Promise((r) => gateway.close(r)), new Promise((r) => upstream.close(r))]);
  }
  log(
    `${stamp()}  ${requestsOk} requests forwarded, ${requestsFailed} failed, over ${upstreamConnections} upstream TLS connections`,
  );

  const result: GatewayUpstreamResult = {
    ok: false,
    requestsOk,
    requestsFailed,
    failures,
    issuedSerials,
    upstreamSawSerials,
    upstreamConnections,
    agentGeneration: upstreamAgent.generation,
  };
  result.ok =
    requestsFailed === 0 &&
    requestsOk > 0 &&
    issuedSerials.every((s) => upstreamSawSerials.includes(s)) &&
    upstreamSawSerials.every((s) => issuedSerials.includes(s));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runGatewayUpstream({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nrequests ok ${r.requestsOk}, failed ${r.requestsFailed}; client certificates held ${r.issuedSerials.length}, seen by the upstream ${r.upstreamSawSerials.length}; upstream TLS connections ${r.upstreamConnections}`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.failures.join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`gateway-upstream failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
