// Verifications per second of a 3-certificate chain (leaf, intermediate, root), ECDSA P-256
// and RSA-2048: mtlskit verifyChain against Node's native loop (parse the three
// certificates, checkIssued and verify twice), pkijs CertificateChainValidationEngine and
// @peculiar/x509 X509ChainBuilder plus one signature check per link, alternating rounds
// in one process. Every verifier parses the PEM/DER of leaf and intermediate on every call.
import 'reflect-metadata';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import { verifyChain } from '../packages/core/src/chain/verify-chain.js';
import type { KeyAlgorithm } from '../packages/core/src/index.js';
import { createCertificateAuthority, parseCertificate } from '../packages/core/src/index.js';
import type { BenchRow } from './lib/types.js';

const ROUNDS = 5;
const PER_ROUND = 200;

interface Fixture {
  leafPem: string;
  interPem: string;
  rootPem: string;
}

async function fixture(keyAlgorithm: KeyAlgorithm): Promise<Fixture> {
  const root = await createCertificateAuthority({ subject: { commonName: 'Bench Root' }, keyAlgorithm });
  const inter = await root.createIntermediate({ subject: { commonName: 'Bench Issuing CA' }, keyAlgorithm });
  const leaf = await inter.issue({ subject: { commonName: 'bench-agent' }, keyAlgorithm, profile: 'client' });
  return { leafPem: leaf.certificatePem, interPem: inter.certificatePem, rootPem: root.certificatePem };
}

function derOf(pem: string): ArrayBuffer {
  const der = parseCertificate(pem).der;
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

type Verifier = (f: Fixture) => Promise<boolean>;

const ours: Verifier = async (f) => {
  const v = await verifyChain({
    leaf: f.leafPem,
    intermediates: f.interPem,
    trustAnchors: f.rootPem,
    purpose: 'clientAuth',
  });
  return v.ok;
};

function makePkijs(f: Fixture): Verifier {
  const rootDer = derOf(f.rootPem);
  const leafDer = derOf(f.leafPem);
  const interDer = derOf(f.interPem);
  const root = pkijs.Certificate.fromBER(rootDer);
  return async () => {
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: [root],
      certs: [pkijs.Certificate.fromBER(leafDer), pkijs.Certificate.fromBER(interDer)],
      checkDate: new Date(),
    });
    return (await engine.verify()).result;
  };
}

function makePeculiar(f: Fixture): Verifier {
  const root = new x509.X509Certificate(f.rootPem);
  return async () => {
    const leaf = new x509.X509Certificate(f.leafPem);
    const inter = new x509.X509Certificate(f.interPem);
    const chain = await new x509.X509ChainBuilder({ certificates: [inter, root] }).build(leaf);
    if (chain.length !== 3) return false;
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!(await chain[i]!.verify({ publicKey: chain[i + 1]!.publicKey, signatureOnly: true })))
        return false;
    }
    return true;
  };
}

// Node's native loop, the baseline of issue 11: parse the three certificates, then
// checkIssued and verify for both links. No RFC 5280 checks at all (dates, CA flag, EKU…).
function makeNode(f: Fixture): Verifier {
  return async () => {
    const leaf = new NodeX509(f.leafPem);
    const inter = new NodeX509(f.interPem);
    const root = new NodeX509(f.rootPem);
    return (
      leaf.checkIssued(inter) &&
      inter.checkIssued(root) &&
      leaf.verify(inter.publicKey) &&
      inter.verify(root.publicKey)
    );
  };
}

async function rate(verify: Verifier, f: Fixture, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!(await verify(f))) throw new Error('a verifier rejected the valid bench chain');
  }
  return (n / (performance.now() - t0)) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchRow[]> {
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: globalThis.crypto }));
  x509.cryptoProvider.set(globalThis.crypto);
  const rows: BenchRow[] = [];
  for (const alg of ['ECDSA-P256', 'RSA-2048'] as const) {
    const f = await fixture(alg);
    const verifiers: Record<string, Verifier> = {
      mtlskit: ours,
      pkijs: makePkijs(f),
      peculiar: makePeculiar(f),
      node: makeNode(f),
    };
    const rates: Record<string, number[]> = { mtlskit: [], pkijs: [], peculiar: [], node: [] };
    for (const v of Object.values(verifiers)) await rate(v, f, 30); // warm-up (JIT, key caches)
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, v] of Object.entries(verifiers)) rates[name]!.push(await rate(v, f, PER_ROUND));
    }
    const m = Object.fromEntries(Object.entries(rates).map(([k, xs]) => [k, median(xs)])) as Record<
      string,
      number
    >;
    const bench = 'verify-chain';
    const note = `${alg}, 3 certificates, median of ${ROUNDS} rounds of ${PER_ROUND}`;
    rows.push(
      {
        bench,
        metric: `${alg} mtlskit verifyChain`,
        value: Math.round(m.mtlskit!),
        unit: 'verifications/s',
        note,
      },
      {
        bench,
        metric: `${alg} pkijs CertificateChainValidationEngine`,
        value: Math.round(m.pkijs!),
        unit: 'verifications/s',
        note,
      },
      {
        bench,
        metric: `${alg} @peculiar/x509 chain builder + verify`,
        value: Math.round(m.peculiar!),
        unit: 'verifications/s',
        note,
      },
      {
        bench,
        metric: `${alg} node:crypto parse 3 + checkIssued + verify x2 (no checks)`,
        value: Math.round(m.node!),
        unit: 'verifications/s',
        note,
      },
      {
        bench,
        metric: `${alg} mtlskit / pkijs`,
        value: Number((m.mtlskit! / m.pkijs!).toFixed(2)),
        unit: 'ratio',
      },
      {
        bench,
        metric: `${alg} mtlskit / @peculiar/x509`,
        value: Number((m.mtlskit! / m.peculiar!).toFixed(2)),
        unit: 'ratio',
      },
      {
        bench,
        metric: `${alg} mtlskit / node:crypto native loop`,
        value: Number((m.mtlskit! / m.node!).toFixed(2)),
        unit: 'ratio',
        note: 'target >= 1.0, floor 0.9',
      },
    );
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.table(await run());
}
