import 'reflect-metadata';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CertificateInfo, parseCertificate, splitPemBundle } from '@mtlskit/core';
import * as peculiar from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../src/x509/ip-address.js';
import { makeSeeds } from '../helpers/differential-fuzz.js';

// Field by field against OpenSSL (Node's X509Certificate) and @peculiar/x509, on every
// certificate of /etc/ssl/certs and on generated ones (every common extension, directoryName
// SANs, organizationIdentifier).
const stripZeros = (hex: string) => BigInt(`0x${hex}`).toString(16);
const unescapeDn = (v: string) => v.replace(/\\(.)/g, '$1');

function opensslSans(x: NodeX509): Record<string, string[]> {
  const out: Record<string, string[]> = { DNS: [], 'IP Address': [], URI: [], email: [], DirName: [] };
  for (const part of (x.subjectAltName ?? '').split(/, (?=[A-Za-z ]+:)/)) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i)]?.push(part.slice(i + 1).replace(/^"|"$/g, ''));
  }
  return out;
}

function compare(info: CertificateInfo, der: Uint8Array): string[] {
  const diffs: string[] = [];
  const check = (what: string, ours: unknown, theirs: unknown) => {
    if (JSON.stringify(ours) !== JSON.stringify(theirs))
      diffs.push(`${info.subject} ${what}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
  };
  const x = new NodeX509(der);
  check('serial (OpenSSL)', stripZeros(info.serialNumber), stripZeros(x.serialNumber));
  check('notBefore (OpenSSL)', info.notBefore.getTime(), new Date(x.validFrom).getTime());
  check('notAfter (OpenSSL)', info.notAfter.getTime(), new Date(x.validTo).getTime());
  check('sha256 (OpenSSL)', info.fingerprintSha256, x.fingerprint256);
  check('sha1 (OpenSSL)', info.fingerprintSha1, x.fingerprint);
  check('CA flag (OpenSSL)', info.isCA, x.ca);
  // OpenSSL prints one attribute per line, in encoding order, by its short name.
  const lines = x.subject.split('\n').filter(Boolean);
  const attrs = info.subjectAttributes;
  check('subject attribute count (OpenSSL)', attrs.length, lines.length);
  for (const [i, a] of attrs.entries()) {
    const line = lines[i] ?? '';
    const eq = line.indexOf('=');
    if (!/^\d/.test(a.type)) check(`subject type ${i} (OpenSSL)`, a.type, line.slice(0, eq));
    check(`subject value ${i} (OpenSSL)`, a.value, unescapeDn(line.slice(eq + 1)));
  }
  const sans = opensslSans(x);
  const ip = (t: string) => formatIp(parseIp(t) ?? new Uint8Array(0));
  check('DNS SANs (OpenSSL)', info.dnsNames, sans.DNS);
  check('IP SANs (OpenSSL)', info.ipAddresses.map(ip), sans['IP Address']!.map(ip));
  check('URI SANs (OpenSSL)', info.uris, sans.URI);
  check('email SANs (OpenSSL)', info.emails, sans.email);
  check('directoryName SAN count (OpenSSL)', info.directoryNames.length, sans.DirName!.length);

  const p = new peculiar.X509Certificate(der.slice().buffer as ArrayBuffer);
  check('serial (peculiar)', stripZeros(info.serialNumber), stripZeros(p.serialNumber));
  check('notBefore (peculiar)', info.notBefore.getTime(), p.notBefore.getTime());
  check('notAfter (peculiar)', info.notAfter.getTime(), p.notAfter.getTime());
  check(
    'extensions (peculiar)',
    info.extensions.map((e) => [e.oid, e.critical]),
    p.extensions.map((e) => [e.type, e.critical]),
  );
  for (const a of attrs)
    check(`attribute ${a.oid} (peculiar)`, true, p.subjectName.getField(a.oid).includes(a.value));
  for (const a of info.issuerAttributes)
    check(`issuer ${a.oid} (peculiar)`, true, p.issuerName.getField(a.oid).includes(a.value));
  const san = p.getExtension(peculiar.SubjectAlternativeNameExtension);
  check(
    'directoryName SAN count (peculiar)',
    info.directoryNames.length,
    san?.names.items.filter((n) => n.type === 'dn').length ?? 0,
  );
  check('SKI (peculiar)', info.subjectKeyId, p.getExtension(peculiar.SubjectKeyIdentifierExtension)?.keyId);
  return diffs;
}

let generated: { name: string; der: Uint8Array }[] = [];
beforeAll(async () => {
  peculiar.cryptoProvider.set(globalThis.crypto);
  generated = (await makeSeeds()).filter((s) => s.kind === 'certificate');
});

describe('field equality with OpenSSL and @peculiar/x509', () => {
  it('on every certificate of /etc/ssl/certs', () => {
    const roots = splitPemBundle(readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8'));
    expect(roots.length).toBeGreaterThan(100);
    const diffs = roots.flatMap((pem) => {
      const info = parseCertificate(pem);
      return compare(info, info.der);
    });
    expect(diffs).toEqual([]);
  });

  it('on generated certificates (RSA, ECDSA, Ed25519; directoryName SANs, organizationIdentifier)', () => {
    const diffs = generated.flatMap((g) => compare(parseCertificate(g.der), g.der));
    expect(diffs).toEqual([]);
    const withDir = generated.map((g) => parseCertificate(g.der)).find((i) => i.directoryNames.length > 0);
    expect(withDir?.directoryNames).toEqual(['CN=Directory,O=Example']);
    expect(withDir?.subjectAttributes.some((a) => a.type === 'organizationIdentifier')).toBe(true);
  });
});
