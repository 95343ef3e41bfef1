// Property test: random CA trees with at most one injected fault, verified by verifyChain
// and by `openssl verify -x509_strict` as an independent oracle. Both must agree on
// valid/invalid, and our verdict must name the injected fault.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CertificateAuthority,
  createCertificateAuthority,
  generateKeyPair,
  type KeyPair,
} from '@mtlskit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify-chain.js';
import { ncExtension } from './helpers.js';

const FAULTS = {
  none: undefined,
  'expired-leaf': 'EXPIRED',
  'expired-intermediate': 'EXPIRED',
  'regenerated-root': 'ISSUER_KEY_MISMATCH',
  'bad-signature': 'BAD_SIGNATURE',
  'ca-false': 'NOT_A_CA',
  'path-length': 'PATH_LENGTH_EXCEEDED',
  'leaf-eku': 'EXTENDED_KEY_USAGE',
  'intermediate-eku': 'EXTENDED_KEY_USAGE',
  'missing-intermediate': 'MISSING_INTERMEDIATE',
  'name-constraint': 'NAME_CONSTRAINTS',
} as const;
type Fault = keyof typeof FAULTS;
const NEEDS_INTERMEDIATE = new Set<Fault>([
  'expired-intermediate',
  'ca-false',
  'path-length',
  'intermediate-eku',
  'missing-intermediate',
  'name-constraint',
]);

const HOUR = 3_600_000;
let keys: KeyPair[] = [];
let dir: string;

function openssl(args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (err) => resolve(!err));
  });
}

beforeAll(async () => {
  // Key generation dominates tree building: make a few keys once and reuse them.
  keys = await Promise.all(Array.from({ length: 8 }, () => generateKeyPair()));
  dir = mkdtempSync(join(tmpdir(), 'mtlskit-chain-prop-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Scenario {
  fault: Fault;
  depth: number;
  keyOrder: number[];
  faultAt: number;
}

async function build(s: Scenario) {
  const depth = NEEDS_INTERMEDIATE.has(s.fault) ? Math.max(1, s.depth) : s.depth;
  const k = (i: number) => keys[s.keyOrder[i % s.keyOrder.length]! % keys.length]!;
  const at = Math.min(s.faultAt, depth - 1);
  const root = await createCertificateAuthority({
    subject: { commonName: 'Prop Root', organization: 'Prop' },
    key: k(0),
    ...(s.fault === 'path-length' && at === 0 ? { pathLength: 0 } : {}),
  });
  const cas: CertificateAuthority[] = [root];
  const chain: string[] = [];
  for (let i = 0; i < depth; i++) {
    const parent = cas[cas.length - 1]!;
    const key = k(i + 1);
    const subject = { commonName: `Prop ICA ${i}`, organization: 'Prop' };
    let ca: CertificateAuthority;
    if (s.fault === 'ca-false' && i === at) {
      const issued = await parent.issue({ profile: 'client', subject, publicKey: key });
      ca = new CertificateAuthority(issued.certificate, key, issued.chainPem);
    } else {
      ca = await parent.createIntermediate({
        subject,
        key,
        ...(s.fault === 'expired-intermediate' && i === at
          ? { notBefore: new Date(Date.now() - 10 * HOUR), notAfter: new Date(Date.now() - HOUR) }
          : {}),
        ...(s.fault === 'path-length' && i === at - 1 ? { pathLength: 0 } : {}),
        ...(s.fault === 'intermediate-eku' && i === at ? { extendedKeyUsage: ['serverAuth'] } : {}),
        ...(s.fault === 'name-constraint' && i === at
          ? { extensions: [ncExtension({ permitted: ['dns:allowed.example'] })] }
          : {}),
      });
    }
    cas.push(ca);
    chain.unshift(ca.certificatePem);
  }
  const issuer = cas[cas.length - 1]!;
  const leaf = await issuer.issue({
    subject: { commonName: 'prop-agent' },
    publicKey: k(7),
    profile: s.fault === 'leaf-eku' ? 'server' : 'client',
    dnsNames: ['agent.prop.example'],
    ...(s.fault === 'expired-leaf'
      ? { notBefore: new Date(Date.now() - 10 * HOUR), notAfter: new Date(Date.now() - HOUR) }
      : {}),
    ...(s.fault === 'bad-signature' ? { signWith: keys.find((x) => x !== issuer.keyPair)! } : {}),
  });
  let anchor = root.certificatePem;
  if (s.fault === 'regenerated-root') {
    const other = keys.find((x) => x !== root.keyPair)!;
    anchor = (
      await createCertificateAuthority({
        subject: { commonName: 'Prop Root', organization: 'Prop' },
        key: other,
      })
    ).certificatePem;
  }
  const intermediates =
    s.fault === 'missing-intermediate' ? chain.filter((_, i) => i !== Math.min(at, chain.length - 1)) : chain;
  return { leaf: leaf.certificatePem, intermediates, anchor };
}

const scenario = fc.record({
  fault: fc.constantFrom(...(Object.keys(FAULTS) as Fault[])),
  depth: fc.integer({ min: 0, max: 3 }),
  // Distinct keys: two equal draws would make a "wrong key" a right one.
  keyOrder: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 5, maxLength: 5 }),
  faultAt: fc.integer({ min: 0, max: 2 }),
});

describe('verifyChain agrees with openssl verify -x509_strict', () => {
  it('on 1,000 random CA trees with one injected fault', async () => {
    let n = 0;
    const seen = new Map<Fault, number>();
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const m = await build(s);
        const id = n++;
        seen.set(s.fault, (seen.get(s.fault) ?? 0) + 1);
        const leafPath = join(dir, `leaf-${id}.pem`);
        const rootPath = join(dir, `root-${id}.pem`);
        const untrustedPath = join(dir, `untrusted-${id}.pem`);
        writeFileSync(leafPath, m.leaf);
        writeFileSync(rootPath, m.anchor);
        writeFileSync(untrustedPath, m.intermediates.join('') || '\n');
        const args = ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', rootPath];
        if (m.intermediates.length) args.push('-untrusted', untrustedPath);
        args.push(leafPath);
        const [oracle, verdict] = await Promise.all([
          openssl(args),
          verifyChain({
            leaf: m.leaf,
            intermediates: m.intermediates,
            trustAnchors: m.anchor,
            purpose: 'clientAuth',
          }),
        ]);
        rmSync(leafPath);
        rmSync(rootPath);
        rmSync(untrustedPath);
        const expected = FAULTS[s.fault];
        if (verdict.ok !== oracle)
          throw new Error(
            `openssl says ${oracle ? 'valid' : 'invalid'}, mtlskit ${JSON.stringify(verdict.ok ? 'valid' : verdict.code)} for ${s.fault}`,
          );
        if (expected === undefined) expect(verdict.ok).toBe(true);
        else {
          expect(verdict.ok).toBe(false);
          if (!verdict.ok) expect(verdict.code).toBe(expected);
        }
      }),
      { numRuns: 1000, seed: 20_240_601, endOnFailure: true },
    );
    expect(n).toBeGreaterThanOrEqual(1000);
    for (const f of Object.keys(FAULTS) as Fault[]) expect(seen.get(f) ?? 0, f).toBeGreaterThan(40);
  }, 300_000);
});
