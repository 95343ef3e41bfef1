import { type CertificateAuthority, createCertificateAuthority, diagnose, verifyChain } from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/x509/ip-address.js';
import { ncExtension } from '../helpers.js';

// Finding 7: host names, IP literals, IPv4-mapped IPv6, URI constraints, wildcards as
// reference ids, U-labels, and one matcher for verifyChain and diagnose.
let root: CertificateAuthority;
beforeAll(async () => {
  root = await createCertificateAuthority({ subject: { commonName: 'Names Root' } });
});

async function check(
  san: { dnsNames?: string[]; ipAddresses?: string[] },
  ref: { hostname?: string; ip?: string },
) {
  const leaf = await root.issue({ subject: { commonName: 'srv' }, profile: 'server', ...san });
  const v = await verifyChain({
    leaf: leaf.certificatePem,
    trustAnchors: root.certificatePem,
    purpose: 'serverAuth',
    ...ref,
  });
  return v.ok ? 'ok' : v.code;
}

describe('IP literals', () => {
  it('are read strictly: no leading zeros, no stray colons', () => {
    for (const bad of [
      '010.0.0.1',
      '1.2.3.04',
      ':::',
      '1::2:',
      ':1::2',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '::ffff:010.1.2.3',
    ])
      expect(parseIp(bad), bad).toBeUndefined();
    expect(parseIp('::ffff:10.1.2.3')).toEqual(
      Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3]),
    );
  });

  it('010.0.0.1 matches neither the IP SAN 10.0.0.1 nor a DNS SAN, as a host name or an IP', async () => {
    expect(await check({ ipAddresses: ['10.0.0.1'] }, { hostname: '010.0.0.1' })).toBe('NAME_MISMATCH');
    expect(await check({ ipAddresses: ['10.0.0.1'] }, { ip: '010.0.0.1' })).toBe('NAME_MISMATCH');
    expect(await check({ dnsNames: ['010.0.0.1'] }, { hostname: '010.0.0.1' })).toBe('NAME_MISMATCH');
    // Not rewritten to 10.0.0.1 on the way (IDNA maps full-width digits, a resolver may
    // read 010 as octal): a host name whose last label is numeric is no host name.
    expect(await check({ dnsNames: ['10.0.0.1'] }, { hostname: '010.0.0.1' })).toBe('NAME_MISMATCH');
    expect(await check({ dnsNames: ['10.0.0.1'] }, { hostname: '\uff11\uff10.0.0.1' })).toBe('NAME_MISMATCH');
    expect(await check({ ipAddresses: ['10.0.0.1'] }, { hostname: '10.0.0.1' })).toBe('ok');
  });

  it('an IPv4-mapped IPv6 reference matches the IPv4 SAN', async () => {
    expect(await check({ ipAddresses: ['10.1.2.3'] }, { hostname: '::ffff:10.1.2.3' })).toBe('ok');
    expect(await check({ ipAddresses: ['10.1.2.3'] }, { ip: '::ffff:10.1.2.3' })).toBe('ok');
    expect(await check({ ipAddresses: ['10.1.2.4'] }, { ip: '::ffff:10.1.2.3' })).toBe('NAME_MISMATCH');
  });

  it('an IPv4-mapped IPv6 SAN is caught by an IPv4 name constraint', async () => {
    const ca = await root.createIntermediate({
      subject: { commonName: 'No 10/8' },
      extensions: [ncExtension({ excluded: ['ip:10.0.0.0/8'] })],
    });
    const leaf = await ca.issue({
      subject: { commonName: 'x' },
      profile: 'server',
      ipAddresses: ['::ffff:10.1.2.3'],
    });
    const v = await verifyChain({
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'serverAuth',
    });
    expect(v.ok ? 'ok' : v.code).toBe('NAME_CONSTRAINTS');
  });
});

describe('URI name constraints', () => {
  it('compare canonical hosts: a trailing dot or percent-encoding does not slip past an exclusion', async () => {
    const ca = await root.createIntermediate({
      subject: { commonName: 'No evil' },
      extensions: [ncExtension({ excluded: ['uri:evil.com'] })],
    });
    for (const uri of [
      'https://evil.com./x',
      'https://ev%69l.com/x',
      'https://EVIL.com/x',
      'https://xn--vil-8la.com/x',
    ]) {
      const leaf = await ca.issue({ subject: { commonName: 'x' }, uris: [uri] });
      const v = await verifyChain({
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        purpose: 'clientAuth',
      });
      if (uri.includes('xn--')) expect(v.ok, uri).toBe(true);
      else expect(v.ok ? 'ok' : v.code, uri).toBe('NAME_CONSTRAINTS');
    }
  });

  it('fail closed on a constrained URI without a readable host', async () => {
    const ca = await root.createIntermediate({
      subject: { commonName: 'Only good' },
      extensions: [ncExtension({ permitted: ['uri:.good.example'] })],
    });
    const leaf = await ca.issue({ subject: { commonName: 'x' }, uris: ['https://%zz.good.example/x'] });
    const v = await verifyChain({
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    });
    expect(v.ok ? 'ok' : v.code).toBe('NAME_CONSTRAINTS');
  });
});

describe('DNS names', () => {
  it('a wildcard reference id never matches, not even a wildcard SAN', async () => {
    expect(await check({ dnsNames: ['*.example.com'] }, { hostname: '*.example.com' })).toBe('NAME_MISMATCH');
    expect(await check({ dnsNames: ['*.example.com'] }, { hostname: 'a.example.com' })).toBe('ok');
  });

  it('U-labels are converted to A-labels (IDNA, UTS #46)', async () => {
    expect(await check({ dnsNames: ['xn--bcher-kva.example'] }, { hostname: 'bücher.example' })).toBe('ok');
    expect(await check({ dnsNames: ['xn--bcher-kva.example'] }, { hostname: 'BÜCHER.example.' })).toBe('ok');
    expect(await check({ dnsNames: ['bucher.example'] }, { hostname: 'bücher.example' })).toBe(
      'NAME_MISMATCH',
    );
  });

  it('diagnose and verifyChain agree (one matcher): *.co.uk does not cover example.co.uk', async () => {
    for (const [san, host] of [
      ['*.co.uk', 'example.co.uk'],
      ['*.example.com', 'a.example.com'],
      ['*.example.com', 'example.com'],
      ['xn--bcher-kva.example', 'bücher.example'],
      ['a.example.com', '*.example.com'],
    ] as const) {
      const leaf = await root.issue({ subject: { commonName: 'srv' }, profile: 'server', dnsNames: [san] });
      const v = await verifyChain({
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        purpose: 'serverAuth',
        hostname: host,
      });
      const d = await diagnose({
        certificate: leaf.chainPem,
        trustAnchors: root.certificatePem,
        purpose: 'serverAuth',
        hostname: host,
      });
      const diagnoseOk = !d.some((f) => f.code === 'HOSTNAME_MISMATCH');
      expect(diagnoseOk, `${san} vs ${host}`).toBe(v.ok);
    }
  });
});
