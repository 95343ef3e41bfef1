import * as grpc from '@grpc/grpc-js';
import {
  type CredentialSource,
  type Credentials,
  type MtlsError,
  MutableCredentialSource,
  parseCertificate,
} from '@mtlskit/core';
import { createChannelCredentials, createServerCredentials } from '@mtlskit/grpc';
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindServer,
  EchoClient,
  type EchoClientInstance,
  type EchoReply,
  type EchoRequest,
  echoService,
  shutdown,
  TestIssuer,
  unary,
} from '../helpers/echo.js';
import { presentedFingerprint } from '../helpers/openssl.js';

/** A source that validates nothing: it hands over whatever it is given. */
class NaiveSource extends EventEmitter<{ update: [Credentials]; error: [MtlsError] }> {
  #current: Credentials;
  constructor(first: Credentials) {
    super();
    this.#current = first;
  }
  current(): Credentials {
    return this.#current;
  }
  ready(): Promise<Credentials> {
    return Promise.resolve(this.#current);
  }
  push(c: Credentials): void {
    this.#current = c;
    this.emit('update', c);
  }
}

function asCredentials(
  input: { certificateChainPem: string; privateKeyPem: string; trustAnchorsPem: string },
  generation: number,
): Credentials {
  const leaf = parseCertificate(input.certificateChainPem);
  return { ...input, notBefore: leaf.notBefore, notAfter: leaf.notAfter, generation };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(source: CredentialSource) {
  const credentials = createServerCredentials(source);
  const errors: MtlsError[] = [];
  credentials.on('error', (e) => errors.push(e));
  const server = new grpc.Server();
  server.addService(echoService, {
    unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) =>
      cb(null, { n: call.request.n, peer: undefined }),
  });
  const port = await bindServer(server, credentials);
  cleanup.push(async () => {
    await shutdown(server);
    credentials.close();
  });
  return { port, errors, credentials };
}

async function freshCall(port: number, clientSource: CredentialSource): Promise<number> {
  const client = new EchoClient(
    `127.0.0.1:${port}`,
    createChannelCredentials(clientSource),
  ) as EchoClientInstance;
  try {
    return (await unary(client, 7, 5_000)).n;
  } finally {
    client.close();
  }
}

describe('a bad update pushed into the server source', () => {
  it('a mismatched pair and an expired certificate are refused; the old identity keeps serving', async () => {
    const issuer = await TestIssuer.create();
    const good = await issuer.issue('server', 'server-g1', 3_600_000);
    const source = new MutableCredentialSource({ purpose: 'serverAuth' });
    await source.set(good);
    const client = await issuer.issue('client', 'client', 3_600_000);
    const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
    await clientSource.set(client);
    const { port, errors, credentials } = await serve(source);
    const goodFp = parseCertificate(good.certificateChainPem).fingerprintSha256;
    expect(await presentedFingerprint(port, client)).toBe(goodFp);

    // A new certificate with the previous key: "key values mismatch" inside grpc-js.
    const next = await issuer.issue('server', 'server-g2', 3_600_000);
    await expect(source.set({ ...next, privateKeyPem: good.privateKeyPem })).rejects.toMatchObject({
      code: 'ERR_MTLS_KEY_MISMATCH',
    });
    const expired = await issuer.ca.issue({
      profile: 'server',
      subject: { commonName: 'server-expired' },
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 7_200_000),
      notAfter: new Date(Date.now() - 3_600_000),
    });
    await expect(
      source.set({
        certificateChainPem: expired.chainPem,
        privateKeyPem: expired.privateKeyPem!,
        trustAnchorsPem: issuer.ca.certificatePem,
      }),
    ).rejects.toMatchObject({ code: 'ERR_MTLS_CERT_EXPIRED' });

    // The error events say why, through the credentials too.
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_KEY_MISMATCH', 'ERR_MTLS_CERT_EXPIRED']);
    expect(errors[0]!.message).toMatch(/private key does not belong to the certificate "CN=server-g2"/);
    expect(errors[1]!.message).toMatch(/expired at/);
    expect(credentials.generation).toBe(1);
    // Still serving: openssl sees the old certificate and new RPCs succeed.
    expect(await presentedFingerprint(port, client)).toBe(goodFp);
    expect(await freshCall(port, clientSource)).toBe(7);
  });

  it('a source that does not validate cannot take the server down either', async () => {
    const issuer = await TestIssuer.create();
    const good = await issuer.issue('server', 'server-g1', 3_600_000);
    const source = new NaiveSource(asCredentials(good, 1));
    const client = await issuer.issue('client', 'client', 3_600_000);
    const clientSource = new MutableCredentialSource({ purpose: 'clientAuth' });
    await clientSource.set(client);
    const { port, errors, credentials } = await serve(source);
    const goodFp = parseCertificate(good.certificateChainPem).fingerprintSha256;

    const next = await issuer.issue('server', 'server-g2', 3_600_000);
    source.push(asCredentials({ ...next, privateKeyPem: good.privateKeyPem }, 2));
    const expired = await issuer.ca.issue({
      profile: 'server',
      subject: { commonName: 'server-expired' },
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 7_200_000),
      notAfter: new Date(Date.now() - 3_600_000),
    });
    source.push(
      asCredentials(
        {
          certificateChainPem: expired.chainPem,
          privateKeyPem: expired.privateKeyPem!,
          trustAnchorsPem: issuer.ca.certificatePem,
        },
        3,
      ),
    );
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_KEY_MISMATCH', 'ERR_MTLS_CERT_EXPIRED']);
    expect(errors[0]!.message).toMatch(/current identity stays in service/);
    expect(JSON.stringify(errors) + errors.map((e) => e.message).join()).not.toContain('PRIVATE KEY');
    expect(credentials.generation).toBe(1);
    expect(await presentedFingerprint(port, client)).toBe(goodFp);
    expect(await freshCall(port, clientSource)).toBe(7);

    // A good update after the bad ones is taken.
    const third = await issuer.issue('server', 'server-g4', 3_600_000);
    source.push(asCredentials(third, 4));
    expect(credentials.generation).toBe(4);
    await new Promise((r) => setTimeout(r, 20));
    expect(await presentedFingerprint(port, client)).toBe(
      parseCertificate(third.certificateChainPem).fingerprintSha256,
    );
    expect(await freshCall(port, clientSource)).toBe(7);
  });
});
