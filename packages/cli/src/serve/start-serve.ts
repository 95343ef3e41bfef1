import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import {
  CertificateAuthority,
  importPrivateKey,
  keyMatchesCertificate,
  parseCertificate,
} from '@mtlskit/core';
import type { RegistrationService } from '@mtlskit/server';
import { CliError } from '../lib/cli-error.js';
import { loadOptional } from '../lib/load-optional.js';

/** What `mtlskit serve` runs. */
export interface ServeOptions {
  caCertFile: string;
  caKeyFile: string;
  redisUrl: string | undefined;
  host: string;
  port: number;
  adminToken: string | undefined;
  serviceName: string;
  certificateLifetimeMs: number;
  tokenTtlMs: number;
  serverNames: readonly string[];
}

/** A running `mtlskit serve`. */
export interface RunningServe {
  readonly url: string;
  readonly service: RegistrationService;
  readonly firstToken: string;
  readonly firstTokenExpiresAt: Date;
  readonly adminTokenGenerated: boolean;
  close(): Promise<void>;
}

async function loadCa(certFile: string, keyFile: string): Promise<CertificateAuthority> {
  const certPem = await readFile(certFile, 'utf8').catch(() => {
    throw new CliError(`cannot read the CA certificate ${certFile}; create one with \`mtlskit gen ca\`.`);
  });
  const keyPem = await readFile(keyFile, 'utf8').catch(() => {
    throw new CliError(`cannot read the CA key ${keyFile}; create one with \`mtlskit gen ca\`.`);
  });
  const cert = parseCertificate(certPem);
  if (!cert.isCA) throw new CliError(`${certFile} is not a CA certificate (basicConstraints CA:FALSE).`);
  const key = await importPrivateKey(keyPem);
  if (!(await keyMatchesCertificate(key, cert)))
    throw new CliError(`${keyFile} is not the key of ${certFile}.`);
  return new CertificateAuthority(cert, key, '');
}

/** Starts a registration service on HTTPS with a server certificate from the CA. */
export async function startServe(o: ServeOptions): Promise<RunningServe> {
  // Loaded on demand so that the other commands do not load the server and its Redis client.
  const { createMemoryStore, createRedisStore, createRegistrationService } = await loadOptional(
    'serve',
    ['@mtlskit/server'],
    () => import('@mtlskit/server'),
  );
  const ca = await loadCa(o.caCertFile, o.caKeyFile);
  const names = new Set(['localhost', '127.0.0.1', ...o.serverNames]);
  if (o.host !== '0.0.0.0' && o.host !== '::') names.add(o.host.replace(/^\[(.*)\]$/, '$1'));
  const dnsNames = [...names].filter((n) => isIP(n) === 0);
  const ipAddresses = [...names].filter((n) => isIP(n) !== 0);
  const serverCert = await ca.issue({
    profile: 'server',
    subject: { commonName: dnsNames[0] ?? 'localhost' },
    dnsNames,
    ipAddresses,
    validityMs: 30 * 86_400_000,
  });
  const store = o.redisUrl ? createRedisStore({ url: o.redisUrl }) : createMemoryStore();
  const service = createRegistrationService({
    issuer: ca,
    store,
    ...(o.adminToken ? { adminToken: o.adminToken } : {}),
    certificateLifetimeMs: o.certificateLifetimeMs,
    tokenTtlMs: o.tokenTtlMs,
  });
  const ready = new AbortController();
  const timer = setTimeout(() => ready.abort(), 10_000);
  try {
    await service.ready({ signal: ready.signal });
  } catch {
    await service.close();
    throw new CliError(`cannot reach Redis at ${redact(o.redisUrl ?? '')} within 10 s; check --redis.`);
  } finally {
    clearTimeout(timer);
  }
  const server: Server = createServer(
    {
      cert: serverCert.chainPem,
      key: serverCert.privateKeyPem!,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    service.handler,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CliError(`cannot listen on ${o.host}:${o.port}: ${e.code ?? e.message}.`)),
    );
    server.listen(o.port, o.host, () => resolve());
  }).catch(async (e) => {
    await service.close();
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  const url = `https://${isIP(shownHost) === 6 ? `[${shownHost}]` : shownHost}:${port}`;
  const first = await service.mintInstallToken({ serviceName: o.serviceName });
  return {
    url,
    service,
    firstToken: first.token,
    firstTokenExpiresAt: first.expiresAt,
    adminTokenGenerated: !o.adminToken,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await service.close();
    },
  };
}

/** A Redis URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
