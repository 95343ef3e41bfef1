import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CertificateAuthority,
  generateKeyPair,
  type KeyPair,
  parseCertificate,
  splitPemBundle,
  verifyChain,
} from '@mtlskit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sha1 } from '../../src/hash/sha.js';
import { encodePem } from '../../src/pem/pem-blocks.js';
import { seq, time } from '../../src/x509/der.js';
import { encodeAuthorityKeyId, encodeExtension, encodeKeyId } from '../../src/x509/extensions.js';
import { signatureAlgorithmFor, signToBitString } from '../../src/x509/sign.js';
import { at, encode, tree } from '../helpers/der-mutator.js';
import { opensslPki } from '../helpers/openssl-pki.js';

// Finding 5: a trust anchor is a name and a key (RFC 5280 §6.1.1 (d)); the profile rules are
// for the certificates below it. Mozilla's store has version 1 roots, roots with a
// non-critical basicConstraints and roots without a subjectKeyIdentifier: all must work.
const pki = opensslPki();
afterAll(() => pki.cleanup());

const CA_EXT = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
];
const LEAF_EXT = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = DNS:shape.example.com',
  'authorityKeyIdentifier = keyid',
];

describe('trust anchors of every Mozilla root shape, built with openssl', () => {
  const shapes: Record<string, string[] | undefined> = {
    'version 1 (no extensions)': undefined,
    'non-critical basicConstraints': [
      'basicConstraints = CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    ],
    'no subjectKeyIdentifier': [
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = none',
      'authorityKeyIdentifier = none',
    ],
    'no keyUsage, no SKI': [
      'basicConstraints = critical, CA:TRUE',
      'subjectKeyIdentifier = none',
      'authorityKeyIdentifier = none',
    ],
  };
  let n = 0;
  for (const [shape, ext] of Object.entries(shapes)) {
    it(`verifies a chain under an anchor with ${shape}`, async () => {
      const id = `s${n++}`;
      for (const k of ['root', 'inter', 'leaf']) pki.key(`${id}-${k}`);
      const root = pki.cert(`${id}-root`, `/C=US/O=Shape ${id}/CN=Shape Root`, { ext });
      const info = parseCertificate(root);
      if (!ext) expect(info.version).toBe(1);
      // A conforming CA names its key in the AKI even when its own certificate has no SKI.
      const rootKeyId = Buffer.from(
        sha1(at(tree(info.der), 0, info.version === 1 ? 5 : 6, 1).value!.subarray(1)),
      );
      const aki = `2.5.29.35 = DER:30:16:80:14:${[...rootKeyId].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      const inter = pki.cert(`${id}-inter`, `/O=Shape ${id}/CN=Shape Issuing CA`, {
        issuer: `${id}-root`,
        ext: [
          ...CA_EXT.filter((l) => !l.startsWith('authorityKeyIdentifier')),
          'authorityKeyIdentifier = none',
          aki,
        ],
      });
      const leaf = pki.cert(`${id}-leaf`, '/CN=shape.example.com', { issuer: `${id}-inter`, ext: LEAF_EXT });
      const v = await verifyChain({
        leaf,
        intermediates: inter,
        trustAnchors: root,
        purpose: 'serverAuth',
        hostname: 'shape.example.com',
      });
      expect(v.ok ? 'ok' : `${v.code}: ${v.message}`).toBe('ok');
      // OpenSSL, the oracle, agrees.
      const dir = pki.dir;
      writeFileSync(join(dir, `${id}.root`), root);
      writeFileSync(join(dir, `${id}.inter`), inter);
      writeFileSync(join(dir, `${id}.leaf`), leaf);
      const out = execFileSync('openssl', [
        'verify',
        '-CAfile',
        join(dir, `${id}.root`),
        '-untrusted',
        join(dir, `${id}.inter`),
        '-purpose',
        'sslserver',
        join(dir, `${id}.leaf`),
      ]).toString();
      expect(out).toMatch(/: OK/);
    });
  }

  it('still refuses an anchor that says CA:FALSE', async () => {
    pki.key('eeroot');
    pki.key('eeleaf');
    const root = pki.cert('eeroot', '/CN=Not A CA', { ext: ['basicConstraints = critical, CA:FALSE'] });
    const leaf = pki.cert('eeleaf', '/CN=x.example.com', {
      issuer: 'eeroot',
      ext: LEAF_EXT.filter((l) => !l.startsWith('authority')),
    });
    const v = await verifyChain({ leaf, trustAnchors: root, purpose: 'serverAuth' });
    expect(v.ok ? 'ok' : v.code).toBe('NOT_A_CA');
  });
});

/** A twin of `rootDer`: same names, version, extensions and shape, but our key (and key ids). */
async function twin(rootDer: Uint8Array, key: KeyPair): Promise<string> {
  const t = tree(rootDer);
  const tbs = at(t, 0);
  const off = tbs.kids![0]!.tag === 0xa0 ? 1 : 0;
  const alg = tree(signatureAlgorithmFor(key));
  const spkiDer = new Uint8Array(await crypto.subtle.exportKey('spki', key.publicKey));
  const keyId = sha1(at(tree(spkiDer), 1).value!.subarray(1));
  tbs.kids![off + 1] = alg;
  tbs.kids![off + 3] = tree(
    seq(time(new Date(Date.now() - 86_400_000)), time(new Date(Date.now() + 365 * 86_400_000))),
  );
  tbs.kids![off + 5] = tree(spkiDer);
  const exts = tbs.kids!.find((k) => k.tag === 0xa3)?.kids?.[0]?.kids ?? [];
  for (const [i, e] of exts.entries()) {
    const o = Buffer.from(e.kids![0]!.value!).toString('hex');
    const critical = e.kids!.length === 3;
    if (o === '551d0e') exts[i] = tree(encodeExtension('2.5.29.14', critical, encodeKeyId(keyId)));
    if (o === '551d23') exts[i] = tree(encodeExtension('2.5.29.35', critical, encodeAuthorityKeyId(keyId)));
  }
  const tbsDer = encode(tbs);
  const der = seq(tbsDer, signatureAlgorithmFor(key), await signToBitString(key, tbsDer));
  return encodePem('CERTIFICATE', der);
}

describe('the shapes of all Mozilla roots in /etc/ssl/certs', () => {
  it('each works as a trust anchor for a chain below it', { timeout: 120_000 }, async () => {
    const roots = splitPemBundle(readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8'));
    expect(roots.length).toBeGreaterThanOrEqual(100);
    const key = await generateKeyPair();
    const shapes = { v1: 0, nonCriticalBasicConstraints: 0, noSki: 0 };
    const failures: string[] = [];
    for (const pem of roots) {
      const original = parseCertificate(pem);
      if (original.version === 1) shapes.v1++;
      if (original.extensions.some((e) => e.oid === '2.5.29.19' && !e.critical))
        shapes.nonCriticalBasicConstraints++;
      if (original.version === 3 && !original.subjectKeyId) shapes.noSki++;
      const anchor = parseCertificate(await twin(original.der, key));
      expect(anchor.subject).toBe(original.subject);
      const ca = new CertificateAuthority(anchor, key, '');
      // A root with pathLenConstraint 0 signs the leaf itself.
      const issuer =
        original.pathLength === 0
          ? ca
          : await ca.createIntermediate({ subject: { commonName: 'Twin Issuing CA' }, key });
      const leaf = await issuer.issue({
        subject: { commonName: 'twin.example.com' },
        profile: 'server',
        dnsNames: ['twin.example.com'],
        publicKey: key,
      });
      const v = await verifyChain({
        leaf: leaf.chainPem,
        trustAnchors: anchor.pem,
        purpose: 'serverAuth',
        hostname: 'twin.example.com',
      });
      if (!v.ok) failures.push(`${original.subject}: ${v.code} ${v.message}`);
    }
    expect(failures).toEqual([]);
    // The store really has the shapes this finding is about.
    expect(shapes.nonCriticalBasicConstraints + shapes.noSki + shapes.v1).toBeGreaterThan(0);
  });
});
