import { verifyChain } from '@mtlskit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslPki } from '../helpers/openssl-pki.js';

// Finding 8: an intermediate whose SKI disagrees with the child's AKI is still a candidate
// after another candidate linked and then failed: the only valid path may run through it.
const pki = opensslPki();
afterAll(() => pki.cleanup());

describe('path building through a re-keyed-SKI intermediate', () => {
  it('finds the valid path after the AKI-matching branch fails', async () => {
    for (const k of ['root', 'other-root', 'inter', 'leaf']) pki.key(k);
    const ca = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign'];
    const root = pki.cert('root', '/CN=Trusted Root', { ext: [...ca, 'subjectKeyIdentifier = hash'] });
    pki.cert('other-root', '/CN=Untrusted Root', { ext: [...ca, 'subjectKeyIdentifier = hash'] });
    // The same intermediate key, twice: under an untrusted root with the usual SKI, and under
    // the trusted root with a rewritten SKI.
    const interA = pki.cert('inter-a', '/CN=Issuing CA', {
      key: 'inter',
      issuer: 'other-root',
      ext: [...ca, 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'],
    });
    const interB = pki.cert('inter-b', '/CN=Issuing CA', {
      key: 'inter',
      issuer: 'root',
      ext: [...ca, 'subjectKeyIdentifier = 0102030405060708', 'authorityKeyIdentifier = keyid'],
    });
    const leaf = pki.cert('leaf', '/CN=leaf.example.com', {
      issuer: 'inter-a',
      issuerKey: 'inter',
      ext: [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = serverAuth',
        'subjectAltName = DNS:leaf.example.com',
        'authorityKeyIdentifier = keyid',
      ],
    });
    const v = await verifyChain({
      leaf,
      intermediates: [interA, interB],
      trustAnchors: root,
      purpose: 'serverAuth',
    });
    expect(v.ok ? v.chain.map((c) => c.subjectKeyId) : v).toEqual([
      expect.any(String),
      '0102030405060708',
      expect.any(String),
    ]);
  });
});
