import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { cfsslEnrollment, createAgent, MemoryStore, type MtlsAgent } from '@mtlskit/agent';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createCsr,
  generateKeyPair,
  isMtlsError,
  parseCertificates,
} from '@mtlskit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authsignBody, decodeAuthKey } from '../../src/lib/cfssl-token.js';
import { type CfsslServer, startCfsslServer } from '../lib/cfssl-server.js';
import { nextEvent } from '../lib/helpers.js';

let tlsCa: CertificateAuthority;
let https: CfsslServer;
let http: CfsslServer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  // CFSSL's own TLS identity comes from an unrelated CA: the strategy's trustAnchors are
  // for that connection only, the issued certificates chain to the CFSSL CA.
  tlsCa = await createCertificateAuthority({ subject: { commonName: 'cfssl tls CA' } });
  const tls = await tlsCa.issue({
    subject: { commonName: 'cfssl' },
    profile: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  [https, http] = await Promise.all([
    startCfsslServer({ tls: { certificatePem: tls.chainPem, privateKeyPem: tls.privateKeyPem! } }),
    startCfsslServer(),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([https?.dispose(), http?.dispose()]);
});

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function agent(
  enrollment: ReturnType<typeof cfsslEnrollment>,
  extra: Partial<Parameters<typeof createAgent>[0]> = {},
): MtlsAgent {
  const a = createAgent({
    trustAnchors: tlsCa.certificatePem,
    serviceName: 'billing-worker',
    store: new MemoryStore(),
    renewal: { initialDelayMs: 100, maxDelayMs: 200 },
    ...extra,
    enrollment,
  });
  open.push(a);
  return a;
}

function openssl(args: string[], files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-cfssl-verify-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function failure(a: MtlsAgent): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  const e = await a.start().then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isMtlsError(e)) throw new Error(`expected a coded MtlsError, got ${inspect(e)}`);
  return e as Error & { code?: string; details?: Record<string, unknown> };
}

describe('cfsslEnrollment against a real cfssl serve', () => {
  it('enrolls through /authsign over https without backendUrl or install token, and renews with a fresh key', async () => {
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: https.authKey,
        profile: 'client',
      }),
    );
    const first = await a.start();
    const leaf = parseCertificates(first.certificateChainPem)[0]!;
    expect(leaf.commonName).toBe('billing-worker');
    expect(leaf.extendedKeyUsage).toContain('clientAuth');
    expect(leaf.issuer).toBe(parseCertificates(https.caPem)[0]!.subject);
    // openssl, as an independent oracle, agrees the certificate is a client certificate of the CFSSL CA.
    const v = openssl(['verify', '-CAfile', 'ca.pem', '-purpose', 'sslclient', 'leaf.pem'], {
      'ca.pem': https.caPem,
      'leaf.pem': first.certificateChainPem,
    });
    expect(v.out).toContain('leaf.pem: OK');
    expect(v.status).toBe(0);
    const s = a.status();
    expect(s.strategy).toBe('cfssl:client');
    expect(s.nextHeartbeatAt).toBeUndefined();

    const second = await a.renewNow();
    const renewed = parseCertificates(second.certificateChainPem)[0]!;
    expect(second.generation).toBe(2);
    expect(renewed.serialNumber).not.toBe(leaf.serialNumber);
    expect(renewed.spkiSha256).not.toBe(leaf.spkiSha256);
    expect(second.privateKeyPem).not.toBe(first.privateKeyPem);
  });

  it('computes the authsign token as CFSSL defines it, over the exact request bytes (even a space changed is refused)', async () => {
    const csrPem = await createCsr({ key: await generateKeyPair(), subject: { commonName: 'hmac-check' } });
    const req = JSON.stringify({ certificate_request: csrPem, profile: 'client' });
    const good = authsignBody(decodeAuthKey(http.authKey), req);
    const tampered = {
      token: good.token,
      request: Buffer.from(req.replace('"profile":"client"', '"profile": "client"')).toString('base64'),
    };
    const post = async (body: unknown): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${http.url}/api/v1/cfssl/authsign`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const ok = await post(good);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({
      success: true,
      result: { certificate: expect.stringContaining('BEGIN CERTIFICATE') },
    });
    const bad = await post(tampered);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('invalid token');
  });

  it('a wrong auth key gives ERR_MTLS_CFSSL_AUTH, not a crash, and never shows the key', async () => {
    const wrongKey = 'ab'.repeat(16);
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: wrongKey,
        profile: 'client',
      }),
    );
    const failed = nextEvent(a, 'error', 20_000);
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_CFSSL_AUTH');
    expect(err.message).toContain('auth_keys');
    expect(err.details).toMatchObject({ status: 400, endpoint: 'authsign', profile: 'client' });
    expect((await failed).code).toBe('ERR_MTLS_CFSSL_AUTH');
    for (const text of [
      err.message,
      JSON.stringify(err),
      inspect(err, { depth: 8 }),
      inspect(a),
      JSON.stringify(a),
    ]) {
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(https.authKey);
    }
    expect(a.state).toBe('idle');
    expect(a.status().counters.enrollmentFailures).toBe(1);
  });

  it('an authsign for a profile CFSSL does not have is ERR_MTLS_CFSSL_PROFILE', async () => {
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: https.authKey,
        profile: 'nope',
      }),
    );
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_CFSSL_PROFILE');
    expect(err.message).toContain('"nope"');
    expect(err.details).toMatchObject({
      cfsslMessage: expect.stringContaining('no authentication provider'),
    });
  });

  it('/sign on a profile that requires the auth key says to set authKey', async () => {
    const a = agent(
      cfsslEnrollment({ url: https.url, trustAnchors: tlsCa.certificatePem, profile: 'client' }),
    );
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_CFSSL_AUTH');
    expect(err.message).toContain('authKey');
    expect(err.details).toMatchObject({ endpoint: 'sign' });
  });

  it('a signing policy refusal (name whitelist, code 5xxx) is ERR_MTLS_CFSSL_POLICY', async () => {
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: https.authKey,
        profile: 'strict',
      }),
    );
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_CFSSL_POLICY');
    expect(err.details?.['cfsslCode']).toBeGreaterThanOrEqual(5000);
    expect(err.details?.['cfsslCode']).toBeLessThan(6000);
  });

  it('a CSR CFSSL cannot decode (an Ed25519 key on CFSSL 1.2) is ERR_MTLS_CFSSL_BAD_CSR', async () => {
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: https.authKey,
        profile: 'client',
      }),
      { keyAlgorithm: 'Ed25519' },
    );
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_CFSSL_BAD_CSR');
    expect(err.message).toContain('keyAlgorithm');
  });

  it('re-enrolls with the auth key when the stored identity expired (no install token needed)', async () => {
    const old = await tlsCa.issue({
      subject: { commonName: 'billing-worker' },
      profile: 'client',
      notBefore: new Date(Date.now() - 7_200_000),
      notAfter: new Date(Date.now() - 3_600_000),
    });
    const store = new MemoryStore();
    await store.save({
      generation: 7,
      privateKeyPem: old.privateKeyPem!,
      certificateChainPem: old.chainPem,
      trustAnchorsPem: tlsCa.certificatePem,
      agentId: 'agent-1',
      savedAt: new Date(Date.now() - 7_200_000).toISOString(),
    });
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: tlsCa.certificatePem,
        authKey: https.authKey,
        profile: 'client',
      }),
      { store },
    );
    const enrolled = nextEvent(a, 'enrolled', 20_000);
    const creds = await a.start();
    expect((await enrolled).reenrollment).toBe(true);
    expect(creds.generation).toBe(8);
    expect(parseCertificates(creds.certificateChainPem)[0]!.issuer).toBe(
      parseCertificates(https.caPem)[0]!.subject,
    );
  });

  it('refuses a CFSSL server whose TLS certificate does not chain to trustAnchors', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'other CA' } });
    const a = agent(
      cfsslEnrollment({
        url: https.url,
        trustAnchors: other.certificatePem,
        authKey: https.authKey,
        profile: 'client',
      }),
    );
    const err = await failure(a);
    expect(err.code).toBe('ERR_MTLS_SERVER_NOT_TRUSTED');
    expect(err.message).toContain('trustAnchors');
  });

  it('over plain http, the /info CA is not trusted: certificates must chain to the agent trustAnchors', async () => {
    const enrollment = cfsslEnrollment({
      url: http.url,
      dangerouslyAllowInsecureHttp: true,
      profile: 'open',
    });
    const ok = agent(enrollment, { trustAnchors: http.caPem });
    const creds = await ok.start();
    expect(parseCertificates(creds.certificateChainPem)[0]!.issuer).toBe(
      parseCertificates(http.caPem)[0]!.subject,
    );
    const refused = agent(enrollment);
    const err = await failure(refused);
    expect(err.code).toBe('ERR_MTLS_INVALID_RESPONSE');
    expect(err.details).toMatchObject({ reason: 'untrusted-chain' });
  });

  it('an unreachable CFSSL is ERR_MTLS_SERVER_UNAVAILABLE and enrollment is retried with backoff', async () => {
    const a = agent(
      cfsslEnrollment({ url: 'http://127.0.0.1:9', dangerouslyAllowInsecureHttp: true, profile: 'open' }),
    );
    const failed = nextEvent(a, 'enrollment-failed', 20_000);
    void a.start().catch(() => undefined);
    const e = await failed;
    expect(e.cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(e.cause.message).toContain('cfssl serve');
    expect(e.nextRetryAt.getTime()).toBeGreaterThan(Date.now() - 1000);
    const again = await nextEvent(a, 'enrollment-failed', 20_000);
    expect(again.attempt).toBe(2);
  });

  it('answers that are not CFSSL answers are ERR_MTLS_CFSSL_INVALID_RESPONSE or server-unavailable', async () => {
    const answers: [number, string, string][] = [
      [200, '{"success":true,"result":{},"errors":[],"messages":[]}', 'ERR_MTLS_CFSSL_INVALID_RESPONSE'],
      [200, '<html>proxy login</html>', 'ERR_MTLS_CFSSL_INVALID_RESPONSE'],
      [
        200,
        '{"success":true,"result":{"certificate":"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n"}}',
        'ERR_MTLS_CFSSL_INVALID_RESPONSE',
      ],
      [502, '<html>bad gateway</html>', 'ERR_MTLS_SERVER_UNAVAILABLE'],
    ];
    for (const [status, body, code] of answers) {
      const server: Server = createServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        const a = agent(
          cfsslEnrollment({ url: `http://127.0.0.1:${port}`, dangerouslyAllowInsecureHttp: true }),
          { trustAnchors: http.caPem },
        );
        const failed = nextEvent(a, 'enrollment-failed', 10_000).then((e) => e.cause);
        const cause = await Promise.race([
          failed,
          a.start().then(
            () => undefined,
            (e: unknown) => e,
          ),
        ]);
        expect(cause, body).toMatchObject({ code });
        await a.close();
      } finally {
        await new Promise((r) => server.close(r));
      }
    }
  });
});

describe('cfsslEnrollment options', () => {
  it('refuses http without the explicit opt-in, https without trustAnchors, and a malformed auth key (without echoing it)', () => {
    expect(() => cfsslEnrollment({ url: http.url })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INSECURE_BACKEND_URL' }),
    );
    expect(() => cfsslEnrollment({ url: https.url })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    expect(() => cfsslEnrollment({ url: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    const badKey = 'not-hex-secret-value-123';
    let thrown: unknown;
    try {
      cfsslEnrollment({ url: https.url, trustAnchors: tlsCa.certificatePem, authKey: badKey });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'ERR_MTLS_INVALID_ARGUMENT' });
    expect(JSON.stringify(thrown) + inspect(thrown)).not.toContain(badKey);
  });

  it('keeps the auth key out of inspect and JSON of the strategy', () => {
    const s = cfsslEnrollment({ url: https.url, trustAnchors: tlsCa.certificatePem, authKey: https.authKey });
    expect(inspect(s, { depth: 8, showHidden: true }) + JSON.stringify(s)).not.toContain(https.authKey);
    expect(s.needsInstallToken).toBe(false);
    expect(s.backendUrl?.origin).toBe(new URL(https.url).origin);
  });

  it('createAgent needs a backendUrl unless the strategy has its own, and heartbeats need a backendUrl', () => {
    const base = { trustAnchors: tlsCa.certificatePem, serviceName: 'x', store: new MemoryStore() };
    expect(() => createAgent(base)).toThrow(expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }));
    const enrollment = cfsslEnrollment({ url: https.url, trustAnchors: tlsCa.certificatePem });
    expect(() => createAgent({ ...base, enrollment, heartbeat: { enabled: true } })).toThrow(
      expect.objectContaining({
        code: 'ERR_MTLS_INVALID_ARGUMENT',
        message: expect.stringContaining('heartbeat'),
      }),
    );
    const withBackend = createAgent({ ...base, enrollment, backendUrl: 'https://fleet.internal' });
    expect(withBackend.strategy).toBe('cfssl:default');
  });
});
