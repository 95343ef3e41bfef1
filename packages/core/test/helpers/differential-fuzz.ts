// Differential fuzz of the DER decoders against OpenSSL's: seeded structure-aware mutants of
// RSA, ECDSA and Ed25519 certificates and CSRs go to parseCertificate / parseCsr and to
// OpenSSL (Node's X509Certificate is OpenSSL's d2i_X509; CSRs go to `openssl req`). The
// invariant: every input mtlskit accepts, OpenSSL accepts too. Used by
// test/x509/differential-fuzz.test.ts (CI size) and bench/x509-differential-fuzz.ts (30,000+).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  createCsr,
  generateKeyPair,
  isMtlsError,
  parseCertificate,
  parseCsr,
} from '@mtlskit/core';
import { mutate } from './der-mutator.js';

export interface Seed {
  kind: 'certificate' | 'csr';
  name: string;
  der: Uint8Array;
}

export interface FuzzReport {
  mutants: number;
  bothAccept: number;
  bothRefuse: number;
  /** Refused by mtlskit, accepted by OpenSSL (strictness; fine). */
  onlyOpensslAccepts: number;
  /** Accepted by mtlskit, refused by OpenSSL: each is a defect. */
  onlyMtlskitAccepts: number;
  /** Up to 20 hex inputs of the defect class, for replay. */
  examples: { seed: string; hex: string }[];
  unique: number;
}

function derOfPem(pem: string): Uint8Array {
  return Uint8Array.from(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

const OPENSSL_EXT = `
[v3]
basicConstraints = critical, CA:TRUE, pathlen:2
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:example.com, DNS:*.example.org, IP:10.0.0.1, IP:::1, URI:spiffe://example.org/a, email:a@example.com, dirName:dir
nameConstraints = critical, permitted;DNS:example.com, excluded;IP:10.0.0.0/255.0.0.0
certificatePolicies = 2.23.140.1.2.1
crlDistributionPoints = URI:http://crl.example.com/ca.crl
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.crt, OCSP;URI:http://ocsp.example.com
[v3req]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:example.com, IP:10.0.0.1, URI:spiffe://example.org/a, email:a@example.com
[dir]
O = Example
CN = Directory
[req]
distinguished_name = dn
prompt = no
req_extensions = v3req
[dn]
C = DE
O = Example GmbH
OU = Unit
CN = fuzz seed
emailAddress = fuzz@example.com
organizationIdentifier = VATDE-123456789
`;

/** Seeds: certificates and CSRs from openssl (every common extension) and from mtlskit's CA. */
export async function makeSeeds(): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-fuzz-'));
  try {
    const cnf = join(dir, 'x.cnf');
    writeFileSync(cnf, OPENSSL_EXT);
    const keys: Record<string, string[]> = {
      rsa: ['-newkey', 'rsa:2048'],
      ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ed25519: ['-newkey', 'ed25519'],
    };
    for (const [name, args] of Object.entries(keys)) {
      const key = join(dir, `${name}.key`);
      const crt = join(dir, `${name}.crt`);
      const csr = join(dir, `${name}.csr`);
      const common = ['req', '-config', cnf, '-nodes', '-keyout', key, ...args];
      execFileSync('openssl', [...common, '-x509', '-days', '30', '-extensions', 'v3', '-out', crt], {
        stdio: 'ignore',
      });
      execFileSync('openssl', ['req', '-config', cnf, '-new', '-key', key, '-out', csr], { stdio: 'ignore' });
      seeds.push({ kind: 'certificate', name: `openssl-${name}`, der: derOfPem(readFileSync(crt, 'utf8')) });
      seeds.push({ kind: 'csr', name: `openssl-${name}-csr`, der: derOfPem(readFileSync(csr, 'utf8')) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const keyAlgorithm of ['ECDSA-P256', 'RSA-2048', 'Ed25519'] as const) {
    const ca = await createCertificateAuthority({
      subject: { commonName: 'Fuzz CA', organization: 'Example' },
      keyAlgorithm,
    });
    const leaf = await ca.issue({
      subject: { commonName: 'leaf' },
      keyAlgorithm,
      profile: 'server',
      dnsNames: ['a.example.com'],
      ipAddresses: ['192.0.2.1'],
      uris: ['spiffe://example.org/x'],
    });
    seeds.push({ kind: 'certificate', name: `mtlskit-ca-${keyAlgorithm}`, der: ca.certificate.der });
    seeds.push({ kind: 'certificate', name: `mtlskit-leaf-${keyAlgorithm}`, der: leaf.certificate.der });
    const kp = await generateKeyPair({ algorithm: keyAlgorithm });
    const csr = await createCsr({ key: kp, subject: { commonName: 'csr' }, dnsNames: ['a.example.com'] });
    seeds.push({ kind: 'csr', name: `mtlskit-csr-${keyAlgorithm}`, der: derOfPem(csr) });
  }
  return seeds;
}

function mtlskitCertAccepts(der: Uint8Array): boolean {
  try {
    parseCertificate(der);
    return true;
  } catch (e) {
    if (!isMtlsError(e)) throw e;
    return false;
  }
}

function opensslCertAccepts(der: Uint8Array): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

async function mtlskitCsrAccepts(der: Uint8Array): Promise<boolean> {
  try {
    await parseCsr(der);
    return true;
  } catch (e) {
    if (!isMtlsError(e)) throw e;
    return false;
  }
}

function opensslCsrAccepts(der: Uint8Array): boolean {
  try {
    execFileSync('openssl', ['req', '-inform', 'DER', '-noout'], {
      input: der,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    return true;
  } catch {
    return false;
  }
}

/** Runs `count` mutants, spread over the seeds, from PRNG seed `seed`. */
export async function runDifferentialFuzz(
  seeds: Seed[],
  count: number,
  rnd: () => number,
): Promise<FuzzReport> {
  const r: FuzzReport = {
    mutants: 0,
    bothAccept: 0,
    bothRefuse: 0,
    onlyOpensslAccepts: 0,
    onlyMtlskitAccepts: 0,
    examples: [],
    unique: 0,
  };
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const seed = seeds[i % seeds.length]!;
    const m = mutate(seed.der, rnd);
    r.mutants++;
    const ours = seed.kind === 'certificate' ? mtlskitCertAccepts(m) : await mtlskitCsrAccepts(m);
    // OpenSSL is asked about CSRs only when mtlskit accepts them (one process per question).
    const theirs = seed.kind === 'certificate' ? opensslCertAccepts(m) : ours ? opensslCsrAccepts(m) : false;
    if (ours && theirs) r.bothAccept++;
    else if (!ours && !theirs) r.bothRefuse++;
    else if (theirs) r.onlyOpensslAccepts++;
    else {
      r.onlyMtlskitAccepts++;
      const hex = Buffer.from(m).toString('hex');
      if (!seen.has(hex)) {
        seen.add(hex);
        if (r.examples.length < 20) r.examples.push({ seed: seed.name, hex });
      }
    }
  }
  r.unique = seen.size;
  return r;
}
