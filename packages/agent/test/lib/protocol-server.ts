// A minimal backend written only from the wire protocol (DESIGN.md "Wire protocol" /
// docs/protocol.md), on node:https, with no testkit code: the agent must work against a
// backend it does not ship with. Hooks let unit tests inject failures.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type CertificateAuthority, createCertificateAuthority, parseCsr } from '@mtlskit/core';

export type Route = 'register' | 'renew' | 'heartbeat' | 'allocate' | 'cert';

export interface Fault {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Process the request (commit), then destroy the socket instead of answering. */
  dropAfterCommit?: boolean;
  /** Answer with this instead of the real result (`request` is the parsed request body). */
  replace?: (
    real: Record<string, unknown>,
    request: Record<string, unknown>,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Take over the response entirely (trickled bodies, huge bodies, HTML pages…). */
  raw?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface ProtocolServerOptions {
  /** Time source for issued certificates (the agent's FakeClock in unit tests). */
  now?: () => number;
  lifetimeMs?: number;
  /** Allowed install tokens → bound service name. */
  tokens?: Record<string, string>;
  /** Tokens may register several keys (for the re-enrollment ladder). */
  reusableTokens?: boolean;
  renewAfter?: (notBefore: number, notAfter: number) => number | undefined;
  ca?: CertificateAuthority;
  /** Allocation tokens → owner. */
  allocationTokens?: Record<string, string>;
  /**
   * Record requests, renewals and heartbeats, and keep accepting replaced certificates.
   * `false` keeps the server's memory flat for long runs (the memory bench). Default `true`.
   */
  keepHistory?: boolean;
}

export interface Registration {
  serviceId: string;
  idempotencyKey: string;
  serviceName: string;
  agentId: string;
  response: Record<string, unknown>;
}

export interface ProtocolServer {
  url: string;
  caPem: string;
  ca: CertificateAuthority;
  serverCertPem: string;
  registrations: Registration[];
  heartbeats: { serviceId: string; body: Record<string, unknown>; fingerprint: string }[];
  renewals: { serviceId: string; fingerprint: string }[];
  requests: {
    route: string;
    status: number;
    headers: IncomingMessage['headers'];
    body: string;
    clientCert: boolean;
  }[];
  /** Faults consumed one per request of a route, in order. */
  faults: Map<Route, Fault[]>;
  revoked: Set<string>;
  close(): Promise<void>;
}

// The CSR parser already gives base64 SHA-256 of the SPKI; the header is its base64url form.
const spkiKey = (digest: Buffer): string => digest.toString('base64url');

export async function startProtocolServer(options: ProtocolServerOptions = {}): Promise<ProtocolServer> {
  const now = options.now ?? Date.now;
  const lifetime = options.lifetimeMs ?? 3_600_000;
  const ca =
    options.ca ??
    (await createCertificateAuthority({
      subject: { commonName: 'Protocol Test CA' },
      notBefore: new Date(Math.min(Date.now(), now()) - 86_400_000),
      notAfter: new Date(Math.max(Date.now(), now()) + 10 * 365 * 86_400_000),
    }));
  const serverCert = await ca.issue({
    subject: { commonName: 'localhost' },
    profile: 'server',
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
    notBefore: new Date(Date.now() - 3_600_000),
    validityMs: 7 * 86_400_000,
  });
  const caX509 = new X509Certificate(ca.certificatePem);
  const tokens = new Map(Object.entries(options.tokens ?? {}));
  const usedBy = new Map<string, string>(); // token → idempotency key
  const byIdem = new Map<string, Registration>();
  const byFingerprint = new Map<string, string>(); // cert sha256 → serviceId
  const state: Omit<ProtocolServer, 'close' | 'url' | 'caPem' | 'ca' | 'serverCertPem'> = {
    registrations: [],
    heartbeats: [],
    renewals: [],
    requests: [],
    faults: new Map(),
    revoked: new Set(),
  };

  const issue = async (
    csrPem: string,
  ): Promise<{ pem: string; chain: string; fp: string; nb: number; na: number }> => {
    const nb = now() - 60_000;
    const na = now() + lifetime;
    const leaf = await ca.issue({
      csr: csrPem,
      profile: 'client',
      notBefore: new Date(nb),
      notAfter: new Date(na),
    });
    return {
      pem: leaf.certificatePem,
      chain: leaf.chainPem,
      fp: new X509Certificate(leaf.certificatePem).fingerprint256,
      nb,
      na,
    };
  };

  const peer = (req: IncomingMessage): string | undefined => {
    const socket = req.socket as TLSSocket;
    const raw = socket.getPeerCertificate?.(false);
    if (raw === undefined || raw === null || raw.raw === undefined) return undefined;
    const x = new X509Certificate(raw.raw);
    // Time is the agent's (fake) clock, so validity is checked here rather than by OpenSSL.
    if (!x.checkIssued(caX509) || !x.verify(caX509.publicKey)) return undefined;
    if (Date.parse(x.validTo) <= now()) return undefined;
    return byFingerprint.get(x.fingerprint256);
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string): void =>
    send(res, status, { error: code, message, code });

  const handle = async (
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown>,
  ): Promise<number> => {
    const fault = state.faults.get(route)?.shift();
    if (fault?.raw !== undefined) {
      fault.raw(req, res);
      return -1;
    }
    if (fault?.status !== undefined) {
      send(
        res,
        fault.status,
        fault.body ?? { error: 'fault', message: 'injected', code: 'fault' },
        fault.headers,
      );
      return fault.status;
    }
    let status = 200;
    let out: Record<string, unknown> = {};
    if (route === 'register') {
      const token = body['install_token'];
      if (typeof token !== 'string' || !tokens.has(token)) {
        error(res, 401, 'unauthorized', 'Invalid or expired install token');
        return 401;
      }
      if (tokens.get(token) !== body['service_name']) {
        error(res, 403, 'token_scope', 'The install token is bound to another service_name');
        return 403;
      }
      const csr = body['csr_pem'];
      if (typeof csr !== 'string') {
        error(res, 400, 'validation', 'Missing required field: csr_pem');
        return 400;
      }
      const actualIdem = spkiKey(Buffer.from((await parseCsr(csr)).spkiSha256, 'base64'));
      const header = req.headers['idempotency-key'];
      if (header !== actualIdem) {
        error(res, 400, 'validation', 'Idempotency-Key does not match the CSR key');
        return 400;
      }
      const previous = byIdem.get(actualIdem);
      if (previous !== undefined) {
        out = previous.response;
        status = 201;
      } else {
        const user = usedBy.get(token);
        if (user !== undefined && !options.reusableTokens) {
          error(res, 409, 'token_used', 'Install token already used by a different key');
          return 409;
        }
        usedBy.set(token, actualIdem);
        const cert = await issue(csr);
        const serviceId = `svc-${state.registrations.length + 1}`;
        byFingerprint.set(cert.fp, serviceId);
        const hint = options.renewAfter?.(cert.nb, cert.na);
        out = {
          service_id: serviceId,
          message: 'registered',
          certificate_pem: cert.chain,
          ca_pem: ca.certificatePem,
          expires_at: new Date(cert.na).toISOString(),
          ...(hint === undefined ? {} : { renew_after: new Date(hint).toISOString() }),
        };
        const metadata = body['metadata'] as Record<string, unknown>;
        const reg = {
          serviceId,
          idempotencyKey: actualIdem,
          serviceName: String(body['service_name']),
          agentId: String(metadata?.['agent_id']),
          response: out,
        };
        state.registrations.push(reg);
        byIdem.set(actualIdem, reg);
        status = 201;
      }
    } else if (route === 'renew' || route === 'heartbeat') {
      const serviceId = peer(req);
      if (serviceId === undefined) {
        error(res, 401, 'unauthorized', 'A valid client certificate is required');
        return 401;
      }
      if (state.revoked.has(serviceId)) {
        error(res, 403, 'IDENTITY_REVOKED', 'Identity revoked');
        return 403;
      }
      const fp = new X509Certificate((req.socket as TLSSocket).getPeerCertificate(false).raw).fingerprint256;
      if (route === 'heartbeat') {
        state.heartbeats.push({ serviceId, body, fingerprint: fp });
      } else {
        const csr = body['csr_pem'];
        if (typeof csr !== 'string') {
          error(res, 400, 'validation', 'Missing required field: csr_pem');
          return 400;
        }
        const cert = await issue(csr);
        byFingerprint.set(cert.fp, serviceId);
        if (options.keepHistory === false) byFingerprint.delete(fp);
        else state.renewals.push({ serviceId, fingerprint: fp });
        const hint = options.renewAfter?.(cert.nb, cert.na);
        out = {
          certificate_pem: cert.chain,
          ca_pem: ca.certificatePem,
          expires_at: new Date(cert.na).toISOString(),
          ...(hint === undefined ? {} : { renew_after: new Date(hint).toISOString() }),
        };
      }
    } else {
      const auth = req.headers.authorization ?? '';
      const token = auth.replace(/^Bearer /, '');
      const owner = options.allocationTokens?.[token];
      if (owner === undefined) {
        error(res, 401, 'unauthorized', 'Invalid bearer token');
        return 401;
      }
      const id = token.split('.')[0]!;
      const leaf = await ca.issue({
        subject: { commonName: route === 'allocate' ? `alloc:${id}` : owner },
        profile: 'client',
        notBefore: new Date(now() - 60_000),
        notAfter: new Date(now() + lifetime),
      });
      const b64 = (s: string): string => Buffer.from(s).toString('base64');
      out = {
        caCert: b64(ca.certificatePem),
        clientCert: b64(leaf.certificatePem),
        clientKey: b64(leaf.privateKeyPem!),
      };
    }
    if (fault?.replace !== undefined) out = await fault.replace(out, body);
    if (fault?.dropAfterCommit) {
      req.socket.destroy();
      return 0;
    }
    send(res, status, out);
    return status;
  };

  const routes: Record<string, Route> = {
    '/api/v1/register': 'register',
    '/api/v1/renew': 'renew',
    '/api/v1/agent/heartbeat': 'heartbeat',
    '/api/v1/worker/allocate': 'allocate',
    '/api/v1/cert': 'cert',
  };

  const server: Server = createServer(
    {
      key: serverCert.privateKeyPem!,
      cert: serverCert.certificatePem,
      ca: ca.certificatePem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const route = routes[req.url ?? ''];
        const clientCert = (req.socket as TLSSocket).getPeerCertificate?.(false)?.raw !== undefined;
        const record = (status: number): void => {
          if (options.keepHistory === false) return;
          state.requests.push({
            route: route ?? String(req.url),
            status,
            headers: req.headers,
            body: text,
            clientCert,
          });
        };
        if (route === undefined || req.method !== 'POST') {
          error(res, 404, 'not_found', 'No such route');
          record(404);
          return;
        }
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          error(res, 400, 'validation', 'Body must be JSON');
          record(400);
          return;
        }
        handle(route, req, res, body).then(record, (e: unknown) => {
          error(res, 500, 'internal', String(e));
          record(500);
        });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ...state,
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certificatePem,
    ca,
    serverCertPem: serverCert.certificatePem,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
