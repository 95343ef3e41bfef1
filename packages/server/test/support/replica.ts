import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertificateAuthority } from '@mtlskit/core';
import {
  type CreateRedisStoreOptions,
  type CreateRegistrationServiceOptions,
  createRedisStore,
  createRegistrationService,
  type RegistrationService,
} from '@mtlskit/server';

/** One replica: a registration service with its own Redis connection behind its own HTTPS server. */
export interface Replica {
  readonly url: string;
  readonly service: RegistrationService;
  /** Failures behind 500 answers: a test expects none. */
  readonly internalErrors: Error[];
  close(): Promise<void>;
}

/** The server certificate every replica of a test presents (issued by the test CA). */
export async function serverIdentity(ca: CertificateAuthority): Promise<{ cert: string; key: string }> {
  const issued = await ca.issue({
    profile: 'server',
    subject: { commonName: 'localhost' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityMs: 86_400_000,
  });
  return { cert: issued.certificatePem, key: issued.privateKeyPem! };
}

/** Starts a replica on 127.0.0.1:0; without `redisUrl` it uses the memory store. */
export async function startReplica(
  ca: CertificateAuthority,
  tls: { cert: string; key: string },
  options: Omit<CreateRegistrationServiceOptions, 'issuer'> & {
    redisUrl?: string;
    keyPrefix?: string;
    storeOptions?: CreateRedisStoreOptions;
  } = {},
): Promise<Replica> {
  const { redisUrl, keyPrefix, storeOptions, ...rest } = options;
  const service = createRegistrationService({
    issuer: ca,
    adminToken: 'test-admin-token-0123456789',
    ...(redisUrl
      ? { store: createRedisStore({ url: redisUrl, ...storeOptions, ...(keyPrefix ? { keyPrefix } : {}) }) }
      : {}),
    ...rest,
  });
  const internalErrors: Error[] = [];
  service.on('internal-error', (e) => internalErrors.push(e));
  await service.ready();
  const server: Server = createServer(
    { ...tls, ca: ca.certificatePem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    service.handler,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    service,
    internalErrors,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await service.close();
      })();
      return closing;
    },
  };
}
