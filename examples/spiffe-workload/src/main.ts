import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { createCertificateAuthority, isMtlsError } from '@mtlskit/core';
import {
  attachCredentials,
  createMtlsDispatcher,
  createPeerAllowList,
  getPeerIdentity,
} from '@mtlskit/node-adapter';
import { createWorkloadApiSource, fetchJwtBundles, fetchJwtSvid, validateJwtSvid } from '@mtlskit/spiffe';
import { createTestWorkloadApi } from '@mtlskit/testkit';
import { request } from 'undici';

/** Options of {@link runSpiffeWorkload}. */
export interface SpiffeWorkloadOptions {
  /** How long the client keeps calling, ms. Default `8_000`. */
  durationMs?: number;
  /** How often the Workload APIs rotate the SVIDs, ms (SPIRE: half the SVID lifetime). Default `2_000`. */
  rotateEveryMs?: number;
  /** Lifetime of each X.509-SVID, ms. Default `6_000`. */
  svidTtlMs?: number;
  /** Pause between two client calls, ms. Default `50`. */
  requestIntervalMs?: number;
  /** Receives one line per event. Default: silent. */
  log?: (line: string) => void;
}

/** What {@link runSpiffeWorkload} saw. */
export interface SpiffeWorkloadResult {
  ok: boolean;
  requestsOk: number;
  requestsFailed: number;
  failures: string[];
  /** SPIFFE IDs the server saw on its callers, and the number of distinct client SVIDs. */
  clientIdsSeenByServer: string[];
  clientSvidsSeenByServer: number;
  /** Distinct server SVIDs the client saw in its own handshakes. */
  serverSvidsSeenByClient: number;
  /** Generations the two sources went through. */
  clientGenerations: number;
  serverGenerations: number;
  /** The error code of the call to the impostor (same CA, same host name, another SPIFFE ID). */
  impostorError: string | undefined;
  /** The SPIFFE ID of a JWT-SVID as the server validated it against the JWT bundle. */
  jwtSubject: string | undefined;
}

export const BILLING_ID = 'spiffe://example.org/ns/prod/sa/billing';
export const FRONTEND_ID = 'spiffe://example.org/ns/prod/sa/frontend';
const IMPOSTOR_ID = 'spiffe://example.org/ns/dev/sa/impostor';

/**
 * Two workloads, each with its own SPIFFE Workload API socket (the SPIRE agent or tbot
 * would serve these; here `createTestWorkloadApi` does, with SVIDs that rotate every 2 s):
 * `billing` serves HTTPS and only admits `frontend` by SPIFFE ID; `frontend` calls it and
 * accepts the server only as `billing`, by SPIFFE ID, not by host name. Both pick up every
 * rotated SVID without a restart. An impostor with a valid SVID of the same trust domain
 * on the same host is refused by the client; a JWT-SVID is validated with `jose` against
 * the trust domain's JWT bundle.
 */
export async function runSpiffeWorkload(options: SpiffeWorkloadOptions = {}): Promise<SpiffeWorkloadResult> {
  const durationMs = options.durationMs ?? 8_000;
  const rotateEveryMs = options.rotateEveryMs ?? 2_000;
  const svidTtlMs = options.svidTtlMs ?? 6_000;
  const interval = options.requestIntervalMs ?? 50;
  const started = Date.now();
  const log = (line: string): void =>
    options.log?.(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${line}`);
  const closers: (() => Promise<unknown> | unknown)[] = [];

  try {
    const ca = await createCertificateAuthority({ subject: { commonName: 'example.org SPIFFE CA' } });
    const billingAgent = await createTestWorkloadApi({
      ca,
      spiffeIds: [BILLING_ID],
      rotateEveryMs,
      svidTtlMs,
    });
    const frontendAgent = await createTestWorkloadApi({
      ca,
      spiffeIds: [FRONTEND_ID],
      rotateEveryMs,
      svidTtlMs,
    });
    const impostorAgent = await createTestWorkloadApi({ ca, spiffeIds: [IMPOSTOR_ID], svidTtlMs: 60_000 });
    closers.push(
      () => billingAgent.close(),
      () => frontendAgent.close(),
      () => impostorAgent.close(),
    );
    log(`Workload API sockets: billing ${billingAgent.address}, frontend ${frontendAgent.address}`);

    // billing: an https server on its Workload API source, admitting only frontend.
    const billingSource = createWorkloadApiSource({ socketPath: billingAgent.address });
    closers.push(() => billingSource.close());
    billingSource.on('update', (c) =>
      log(`billing SVID generation ${c.generation} (${c.spiffeId}, until ${c.notAfter.toISOString()})`),
    );
    const clientSerials = new Set<string>();
    const clientIds = new Set<string>();
    const server = createServer((req, res) => {
      const peer = getPeerIdentity(req);
      if (peer !== undefined) {
        clientSerials.add(peer.serialNumber);
        if (peer.spiffeId !== undefined) clientIds.add(peer.spiffeId);
      }
      res.end(`hello ${peer?.spiffeId}`);
    });
    const attached = attachCredentials(server, billingSource, {
      authorize: createPeerAllowList({ spiffeIds: [FRONTEND_ID] }),
    });
    await attached.ready();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    log(`billing listens on ${origin}`);

    // The impostor: a valid SVID of the same trust domain, on the same host.
    const impostorSource = createWorkloadApiSource({ socketPath: impostorAgent.address });
    closers.push(() => impostorSource.close());
    const impostor = createServer((_req, res) => res.end('send me your data'));
    attachCredentials(impostor, impostorSource);
    await impostorSource.ready();
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          impostor.close(() => r());
          impostor.closeAllConnections();
        }),
    );

    // frontend: an undici client on its own Workload API source, accepting only billing.
    const frontendSource = createWorkloadApiSource({ socketPath: frontendAgent.address });
    closers.push(() => frontendSource.close());
    frontendSource.on('update', (c) => log(`frontend SVID generation ${c.generation} (${c.spiffeId})`));
    const dispatcher = createMtlsDispatcher(frontendSource, {
      authorizeServer: createPeerAllowList({ spiffeIds: [BILLING_ID] }),
    });
    closers.push(() => dispatcher.close());
    const serverSerials = new Set<string>();
    dispatcher.on(
      'socket' as 'connect',
      ((e: { socket: TLSSocket }) => {
        const serial = e.socket.getPeerX509Certificate()?.serialNumber;
        if (serial !== undefined && !serverSerials.has(serial)) {
          serverSerials.add(serial);
          log(`frontend sees billing SVID serial ${serial.toLowerCase()}`);
        }
      }) as never,
    );

    let requestsOk = 0;
    const failures: string[] = [];
    while (Date.now() - started < durationMs) {
      try {
        const res = await request(`${origin}/charge`, { dispatcher });
        const body = await res.body.text();
        if (res.statusCode === 200 && body === `hello ${FRONTEND_ID}`) requestsOk++;
        else failures.push(`${res.statusCode} ${body}`);
      } catch (e) {
        failures.push(isMtlsError(e) ? `${e.code}: ${e.message}` : String(e));
      }
      await new Promise((r) => setTimeout(r, interval));
    }

    let impostorError: string | undefined;
    try {
      await request(`https://127.0.0.1:${(impostor.address() as AddressInfo).port}/`, { dispatcher });
    } catch (e) {
      impostorError = isMtlsError(e) ? e.code : String(e);
    }
    log(`frontend → impostor (same CA, same host, ${IMPOSTOR_ID}): ${impostorError ?? 'accepted!'}`);

    // JWT-SVIDs: frontend fetches a token for billing; billing validates it locally.
    const jwt = await fetchJwtSvid({ audience: 'billing', socketPath: frontendAgent.address });
    const bundles = await fetchJwtBundles({ socketPath: billingAgent.address });
    const validated = await validateJwtSvid(jwt.token, 'billing', { bundles });
    log(`JWT-SVID for audience "billing" validated: sub ${validated.spiffeId}`);

    const result: SpiffeWorkloadResult = {
      ok: false,
      requestsOk,
      requestsFailed: failures.length,
      failures,
      clientIdsSeenByServer: [...clientIds],
      clientSvidsSeenByServer: clientSerials.size,
      serverSvidsSeenByClient: serverSerials.size,
      clientGenerations: frontendSource.generation,
      serverGenerations: billingSource.generation,
      impostorError,
      jwtSubject: validated.spiffeId,
    };
    result.ok =
      failures.length === 0 &&
      requestsOk > 0 &&
      impostorError === 'ERR_MTLS_SERVER_NOT_AUTHORIZED' &&
      result.clientGenerations > 1 &&
      result.serverGenerations > 1 &&
      result.clientIdsSeenByServer.join() === FRONTEND_ID &&
      validated.spiffeId === FRONTEND_ID;
    return result;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSpiffeWorkload({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nrequests ok ${r.requestsOk}, failed ${r.requestsFailed}; SVID generations: frontend ${r.clientGenerations}, billing ${r.serverGenerations}; billing saw ${r.clientSvidsSeenByServer} frontend SVIDs, frontend saw ${r.serverSvidsSeenByClient} billing SVIDs; impostor: ${r.impostorError}`,
      );
      console.log(r.ok ? 'OK' : `FAILED ${r.failures.join('; ')}`);
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`spiffe-workload failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
