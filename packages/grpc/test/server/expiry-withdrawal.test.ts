import { inspect } from 'node:util';
import { type MtlsError, MutableCredentialSource } from '@mtlskit/core';
import { FakeClock } from '@mtlskit/core/testing';
import { createChannelCredentials, createServerCredentials } from '@mtlskit/grpc';
import { describe, expect, it } from 'vitest';
import { TestIssuer } from '../helpers/echo.js';

describe('an identity that expires without a successor', () => {
  it('is withdrawn 5% of its lifetime before notAfter, with an error that says so; a new one brings it back', async () => {
    const issuer = await TestIssuer.create();
    const first = await issuer.issue('server', 'server-g1', 100_000);
    // The fake clock starts at the real now: the certificates are valid on it.
    const clock = new FakeClock({ now: Date.now() });
    const source = new MutableCredentialSource({ purpose: 'serverAuth', clock });
    await source.set(first);
    const credentials = createServerCredentials(source, { clock });
    const errors: MtlsError[] = [];
    credentials.on('error', (e) => errors.push(e));
    expect(credentials.generation).toBe(1);

    // 5% of its lifetime (notBefore lies 1 s back): 5.05 s.
    const margin = (first.notAfter.getTime() - source.current().notBefore.getTime()) * 0.05;
    const untilWithdrawal = first.notAfter.getTime() - margin - clock.now();
    clock.advance(untilWithdrawal - 1_000);
    expect(credentials.generation).toBe(1);
    expect(errors).toEqual([]);
    clock.advance(1_000);
    expect(credentials.generation).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_CERT_EXPIRED']);
    expect(errors[0]!.message).toMatch(
      /expires at .* no valid successor arrived: new gRPC connections are refused/,
    );

    // Issued on real time, which the fake clock is ~95 s ahead of: a longer lifetime.
    const next = await issuer.issue('server', 'server-g2', 300_000);
    await source.set(next);
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_CERT_EXPIRED']);
    expect(credentials.generation).toBe(2);
    credentials.close();
  });

  it('the channel side withdraws its client identity the same way', async () => {
    const issuer = await TestIssuer.create();
    const clock = new FakeClock({ now: Date.now() });
    const source = new MutableCredentialSource({ purpose: 'clientAuth', clock });
    await source.set(await issuer.issue('client', 'client-g1', 20_000));
    const credentials = createChannelCredentials(source, { clock });
    const errors: string[] = [];
    credentials.on('error', (e) => errors.push(e.code));
    clock.advance(20_000);
    expect(errors).toEqual(['ERR_MTLS_CERT_EXPIRED']);
    expect(credentials.generation).toBe(0);
    credentials.close();
  });
});

describe('secrets stay out of logs', () => {
  it('util.inspect and JSON.stringify of the credentials show no key material', async () => {
    const issuer = await TestIssuer.create();
    const input = await issuer.issue('server', 'server-g1', 60_000);
    const source = new MutableCredentialSource();
    await source.set(input);
    const server = createServerCredentials(source);
    const channel = createChannelCredentials(source);
    // Give the grpc-js objects a chance to hold the key (as they do once in use).
    await new Promise((r) => setImmediate(r));
    const keyBody = input.privateKeyPem.split('\n')[1]!;
    const keyHex = Buffer.from(input.privateKeyPem).subarray(0, 40).toString('hex').match(/../g)!.join(' ');
    for (const shown of [
      inspect(server, { depth: 10 }),
      inspect(channel, { depth: 10 }),
      JSON.stringify(server),
      JSON.stringify(channel),
    ]) {
      expect(shown).not.toContain(keyBody);
      expect(shown).not.toContain('PRIVATE KEY');
      expect(shown).not.toContain(keyHex.slice(0, 60));
      expect(shown).toMatch(/generation/);
    }
    server.close();
    channel.close();
  });
});

describe('bad arguments', () => {
  it('are refused with ERR_MTLS_INVALID_ARGUMENT and a message that says what to pass', async () => {
    expect(() => createServerCredentials(undefined as never)).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    expect(() => createChannelCredentials({} as never)).toThrow(/needs a CredentialSource/);
    const source = new MutableCredentialSource();
    expect(() => createServerCredentials(source, { authorize: 'yes' as never })).toThrow(
      /authorize must be a function/,
    );
    expect(() => createChannelCredentials(source, { verifyPeer: { spiffeId: 'billing' } })).toThrow(
      expect.objectContaining({
        code: 'ERR_MTLS_INVALID_ARGUMENT',
        message: expect.stringContaining('spiffe://'),
      }),
    );
    expect(() => createChannelCredentials(source, { verifyPeer: { hostname: '' } })).toThrow(
      /non-empty host name/,
    );
  });
});
