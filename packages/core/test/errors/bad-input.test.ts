import {
  createCertificateAuthority,
  createCsr,
  generateKeyPair,
  importPrivateKey,
  isMtlsError,
  keyMatchesCertificate,
  parseCertificate,
  parseCertificates,
  parseCsr,
  splitPemBundle,
} from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';

let certPem: string;
let csrPem: string;
let keyPem: string;

beforeAll(async () => {
  const ca = await createCertificateAuthority();
  const issued = await ca.issue({ subject: { commonName: 'fuzz' }, dnsNames: ['fuzz.example'] });
  certPem = issued.certificatePem;
  keyPem = issued.privateKeyPem!;
  csrPem = await createCsr({
    key: await generateKeyPair(),
    subject: { commonName: 'fuzz' },
    dnsNames: ['a.example'],
  });
});

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (!isMtlsError(e)) throw new Error(`not an MtlsError: ${String(e)}`, { cause: e });
    expect(e.message.length).toBeGreaterThan(10);
    return e.code;
  }
  return 'NO_ERROR';
}

const truncate = (pem: string) => pem.slice(0, Math.floor(pem.length / 2));
const corruptBody = (pem: string) => pem.replace(/\n(.{10})/, '\n$1!!!!');
const ONE_MIB = 'A'.repeat(1024 * 1024);

describe('bad input to every parser gives an MtlsError with a stable code', () => {
  it('parseCertificate', async () => {
    expect(await codeOf(() => parseCertificate(truncate(certPem)))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => parseCertificate(corruptBody(certPem)))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => parseCertificate('garbage, not a certificate'))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => parseCertificate(new Uint8Array([0x30, 0x82, 0xff, 0xff, 1, 2, 3])))).toBe(
      'ERR_MTLS_CERT_MALFORMED',
    );
    expect(await codeOf(() => parseCertificate(new Uint8Array(0)))).toBe('ERR_MTLS_DER_MALFORMED');
    expect(await codeOf(() => parseCertificate(keyPem))).toBe('ERR_MTLS_PEM_WRONG_TYPE');
    expect(await codeOf(() => parseCertificate(csrPem))).toBe('ERR_MTLS_PEM_WRONG_TYPE');
    // A certificate may be up to 4 MiB (100,000 SANs); beyond that it is refused unread.
    expect(await codeOf(() => parseCertificate(ONE_MIB.repeat(5)))).toBe('ERR_MTLS_INPUT_TOO_LARGE');
    expect(await codeOf(() => parseCertificate(new Uint8Array(5 * 1024 * 1024)))).toBe(
      'ERR_MTLS_INPUT_TOO_LARGE',
    );
    expect(await codeOf(() => parseCertificate(42 as never))).toBe('ERR_MTLS_INVALID_ARGUMENT');
    const der = parseCertificate(certPem).der;
    expect(await codeOf(() => parseCertificate(der.subarray(0, der.length - 1)))).toBe(
      'ERR_MTLS_CERT_MALFORMED',
    );
  });

  it('parseCertificates and splitPemBundle', async () => {
    expect(await codeOf(() => splitPemBundle(truncate(certPem)))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => parseCertificates(certPem + corruptBody(certPem)))).toBe(
      'ERR_MTLS_PEM_MALFORMED',
    );
    expect(await codeOf(() => splitPemBundle('x'.repeat(9 * 1024 * 1024)))).toBe('ERR_MTLS_INPUT_TOO_LARGE');
    expect(await codeOf(() => splitPemBundle(null as never))).toBe('ERR_MTLS_INVALID_ARGUMENT');
    const mismatched = certPem.replace('END CERTIFICATE', 'END PRIVATE KEY');
    expect(await codeOf(() => splitPemBundle(mismatched))).toBe('ERR_MTLS_PEM_MALFORMED');
  });

  it('parseCsr', async () => {
    expect(await codeOf(() => parseCsr(truncate(csrPem)))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => parseCsr(certPem))).toBe('ERR_MTLS_PEM_WRONG_TYPE');
    expect(await codeOf(() => parseCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe(
      'ERR_MTLS_CSR_MALFORMED',
    );
    expect(await codeOf(() => parseCsr(ONE_MIB))).toBe('ERR_MTLS_INPUT_TOO_LARGE');
    expect(
      await codeOf(() =>
        parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
      ),
    ).toBe('ERR_MTLS_CSR_MALFORMED');
  });

  it('importPrivateKey and keyMatchesCertificate', async () => {
    expect(await codeOf(() => importPrivateKey(truncate(keyPem)))).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(await codeOf(() => importPrivateKey(certPem))).toBe('ERR_MTLS_PEM_WRONG_TYPE');
    expect(
      await codeOf(() => importPrivateKey('-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n')),
    ).toBe('ERR_MTLS_KEY_MALFORMED');
    expect(
      await codeOf(() =>
        importPrivateKey('-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n'),
      ),
    ).toBe('ERR_MTLS_KEY_MALFORMED');
    expect(await codeOf(() => importPrivateKey(ONE_MIB))).toBe('ERR_MTLS_INPUT_TOO_LARGE');
    expect(await codeOf(() => importPrivateKey(new Uint8Array([1, 2, 3])))).toBe('ERR_MTLS_KEY_MALFORMED');
    expect(await codeOf(() => keyMatchesCertificate('not a key!', certPem))).toBe('ERR_MTLS_PEM_MALFORMED');
    // Bare base64 is taken as DER, so base64-looking junk is a malformed key.
    expect(await codeOf(() => keyMatchesCertificate('nonsense', certPem))).toBe('ERR_MTLS_KEY_MALFORMED');
    expect(await codeOf(() => keyMatchesCertificate(keyPem, 'not a certificate!'))).toBe(
      'ERR_MTLS_PEM_MALFORMED',
    );
  });

  it('never puts key material into an error message', async () => {
    const body = keyPem.split('\n')[2]!;
    for (const input of [
      keyPem.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\n!'),
      keyPem.slice(0, 200),
      keyPem.replace(/END PRIVATE/, 'END RSA PRIVATE'),
    ]) {
      const err = await importPrivateKey(input).catch((e: unknown) => e);
      expect(isMtlsError(err)).toBe(true);
      expect(JSON.stringify(err)).not.toContain(body.slice(0, 20));
      expect(String((err as Error).message)).not.toContain(body.slice(0, 20));
    }
  });
});

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const out = Array.from(input);
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * out.length);
    switch (Math.floor(rnd() * 6)) {
      case 0:
        out[pos] = out[pos]! ^ (1 << Math.floor(rnd() * 8));
        break;
      case 1:
        out[pos] = Math.floor(rnd() * 256);
        break;
      case 2:
        out.splice(pos, 1);
        break;
      case 3:
        out.splice(pos, 0, Math.floor(rnd() * 256));
        break;
      case 4:
        out.length = pos;
        break;
      default:
        // Length-ish bytes: force long-form or huge lengths.
        out[pos] = [0x80, 0x81, 0x84, 0xff, 0x00][Math.floor(rnd() * 5)]!;
    }
  }
  return new Uint8Array(out);
}

describe('fuzz: mutated DER and PEM never crash or hang', () => {
  it('10,000 mutated certificates, keys and CSRs give results or MtlsErrors only', async () => {
    const rnd = mulberry32(0x5eed);
    const certDer = parseCertificate(certPem).der;
    const csrDer = (await parseCsr(csrPem)).der;
    const keyDer = new Uint8Array(Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    let parsed = 0;
    let rejected = 0;
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const kind = i % 10;
      try {
        if (kind < 6) {
          parseCertificate(mutate(certDer, rnd));
        } else if (kind === 6) {
          const text = new TextDecoder().decode(mutate(new TextEncoder().encode(certPem), rnd));
          parseCertificates(text);
        } else if (kind < 9) {
          await parseCsr(mutate(csrDer, rnd));
        } else {
          await importPrivateKey(mutate(keyDer, rnd));
        }
        parsed++;
      } catch (e) {
        if (!isMtlsError(e)) throw new Error(`iteration ${i}: non-MtlsError ${String(e)}`, { cause: e });
        rejected++;
      }
    }
    expect(parsed + rejected).toBe(10_000);
    expect(rejected).toBeGreaterThan(5_000);
    // Bounded work: generous, only to catch a hang or an exponential blow-up.
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);
});
