import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, isMtlsError, parseCertificate, parseCsr } from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, encode, type Node, tree } from '../helpers/der-mutator.js';

// Finding 3: every class of lax DER the differential fuzz found, as a fixed input. Each must
// be refused by parseCertificate, as OpenSSL refuses it.
let der: Uint8Array;
const enc = new TextEncoder();
const prim = (tag: number, ...bytes: number[]): Node => ({ tag, value: Uint8Array.from(bytes) });

beforeAll(async () => {
  const ca = await createCertificateAuthority({
    subject: { commonName: 'Strict CA', organization: 'Example' },
  });
  der = ca.certificate.der;
});

function refused(edit: (cert: Node) => void, opensslToo = true): void {
  const t = tree(der);
  edit(t);
  const mutant = encode(t);
  let error: unknown;
  try {
    parseCertificate(mutant);
  } catch (e) {
    error = e;
  }
  expect(isMtlsError(error) && error.code, 'parseCertificate must refuse it').toBe('ERR_MTLS_CERT_MALFORMED');
  if (opensslToo) expect(() => new X509Certificate(mutant), 'OpenSSL refuses it too').toThrow();
}

// TBSCertificate children: 0 version, 1 serial, 2 signature, 3 issuer, 4 validity, 5 subject, 6 SPKI, 7 [3] extensions.
const tbs = (t: Node) => at(t, 0);

describe('strict DER certificate decoding', () => {
  it('accepts the unmodified certificate', () => {
    expect(parseCertificate(encode(tree(der))).subject).toBe('CN=Strict CA,O=Example');
  });

  it('refuses two extension blocks', () => refused((t) => tbs(t).kids!.push(structuredClone(at(t, 0, 7)))));
  it('refuses a trailing element in version', () => refused((t) => at(t, 0, 0).kids!.push(prim(0x02, 2))));
  it('refuses a trailing element in AlgorithmIdentifier', () =>
    refused((t) => at(t, 1).kids!.push(prim(0x05), prim(0x05))));
  it('refuses a trailing element in SubjectPublicKeyInfo', () =>
    refused((t) => at(t, 0, 6).kids!.push(prim(0x05))));
  it('refuses a trailing element in AttributeTypeAndValue', () =>
    refused((t) => at(t, 0, 5, 0, 0).kids!.push(prim(0x0c, 0x41))));
  it('refuses invalid UTF-8 instead of turning it into U+FFFD', () =>
    refused((t) => {
      at(t, 0, 5, 1, 0, 1).value = Uint8Array.from([0x41, 0xc3, 0x28]);
    }));
  it('refuses attribute values that are not strings', () =>
    refused((t) => {
      Object.assign(at(t, 0, 5, 1, 0, 1), { tag: 0x06, value: Uint8Array.from([0x55, 0x04, 0x03]) });
    }));
  it('refuses BOOLEAN 0x01 (DER TRUE is 0xFF)', () =>
    refused((t) => {
      // extensions: [3] { SEQUENCE { Extension… } }; the first is basicConstraints, critical.
      const critical = at(t, 0, 7, 0, 0, 1);
      expect(critical.tag).toBe(0x01);
      critical.value = Uint8Array.of(0x01);
    }, false));
  it('refuses a non-minimal INTEGER serial number', () =>
    refused((t) => {
      const serial = at(t, 0, 1);
      serial.value = Uint8Array.from([0x00, 0x01, ...serial.value!.subarray(1)]);
    }));
  it('refuses an inner signature AlgorithmIdentifier that is not one', () =>
    refused((t) => {
      at(t, 0, 2).kids = [{ tag: 0x18, value: enc.encode('99991231235959Z') }];
    }));
  it('refuses a NULL with contents in AlgorithmIdentifier', () =>
    refused((t) => {
      at(t, 1).kids![1] = prim(0x05, 1, 2);
    }, false));
  for (const [name, tag, text] of [
    ['30 February', 0x17, '300230000000Z'],
    ['14-digit UTCTime', 0x17, '20300101000000Z'],
    ['second 60', 0x17, '301231235960Z'],
    ['fractional seconds', 0x18, '20500101000000.5Z'],
  ] as const) {
    it(`refuses a notAfter with ${name}`, () =>
      refused((t) => {
        Object.assign(at(t, 0, 4, 1), { tag, value: enc.encode(text) });
      }, false));
  }

  it('reads GeneralizedTime year 0099 as 99, not 1999', () => {
    const t = tree(der);
    Object.assign(at(t, 0, 4, 0), { tag: 0x18, value: enc.encode('00990101000000Z') });
    expect(parseCertificate(encode(t)).notBefore.getUTCFullYear()).toBe(99);
  });

  it('refuses a CSR with a trailing element in its attributes', async () => {
    const { createCsr, generateKeyPair } = await import('@mtlskit/core');
    const csr = await createCsr({
      key: await generateKeyPair(),
      subject: { commonName: 'x' },
      dnsNames: ['a.example'],
    });
    const t = tree(Uint8Array.from(Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64')));
    at(t, 0, 3, 0).kids!.push(prim(0x05));
    await expect(parseCsr(encode(t))).rejects.toMatchObject({ code: 'ERR_MTLS_CSR_MALFORMED' });
  });
});
