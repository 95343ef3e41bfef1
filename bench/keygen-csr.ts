// Key + CSR generation per second for ECDSA P-256: mtlskit against a direct
// @peculiar/x509 implementation of the same work, alternating rounds in one process.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import * as x509 from '@peculiar/x509';
import { createCsr, generateKeyPair } from '../packages/core/src/index.js';
import type { BenchRow } from './lib/types.js';

const ROUNDS = 6;
const PER_ROUND = 150;

async function ours(): Promise<void> {
  const key = await generateKeyPair({ algorithm: 'ECDSA-P256' });
  await createCsr({
    key,
    subject: { commonName: 'bench-agent', organization: 'Example' },
    dnsNames: ['agent.example'],
  });
}

async function peculiar(): Promise<void> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=bench-agent,O=Example',
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'agent.example' }])],
  });
}

async function rate(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < PER_ROUND; i++) await fn();
  return PER_ROUND / ((performance.now() - t) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  x509.cryptoProvider.set(crypto);
  for (let i = 0; i < 30; i++) {
    await ours();
    await peculiar();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await rate(ours));
    b.push(await rate(peculiar));
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
  const oursRate = median(a);
  const theirs = median(b);
  return [
    {
      bench: 'keygen-csr',
      metric: 'mtlskit P-256 key+CSR',
      value: oursRate,
      unit: 'ops/s',
      note: `${(1000 / oursRate).toFixed(2)} ms each`,
    },
    {
      bench: 'keygen-csr',
      metric: '@peculiar/x509 P-256 key+CSR',
      value: theirs,
      unit: 'ops/s',
      note: `${(1000 / theirs).toFixed(2)} ms each`,
    },
    {
      bench: 'keygen-csr',
      metric: 'ratio mtlskit / @peculiar/x509',
      value: oursRate / theirs,
      unit: 'ratio',
      note: '≥ 1 means not slower',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) console.table(await run());
