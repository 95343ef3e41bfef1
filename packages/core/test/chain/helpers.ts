// Builders for unusual certificate material in chain tests: extension values (name
// constraints, policy constraints) and CRLs signed by a test CA.
import type { CertificateAuthority } from '../../src/ca/create-certificate-authority.js';
import type { KeyPair } from '../../src/keys/key-pair.js';
import { encodePem } from '../../src/pem/pem-blocks.js';
import { decodeCertificate } from '../../src/x509/decode-certificate.js';
import {
  boolean,
  ctx,
  octetString,
  oid,
  seq,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from '../../src/x509/der.js';
import { parseIp } from '../../src/x509/ip-address.js';
import { encodeName, subjectFromString } from '../../src/x509/name.js';
import { signatureAlgorithmFor, signToBitString } from '../../src/x509/sign.js';

export const NC_OID = '2.5.29.30';
const enc = new TextEncoder();

/** One GeneralName for a constraint: `dns:example.com`, `ip:10.0.0.0/8`, `email:.example.com`, `uri:.example.org`, `dn:O=Example`, `other`. */
function generalName(spec: string): Uint8Array {
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const value = i < 0 ? '' : spec.slice(i + 1);
  switch (kind) {
    case 'dns':
      return tlv(0x82, enc.encode(value));
    case 'email':
      return tlv(0x81, enc.encode(value));
    case 'uri':
      return tlv(0x86, enc.encode(value));
    case 'ip': {
      const [addr, bits] = value.split('/');
      const a = parseIp(addr!)!;
      const mask = new Uint8Array(a.length);
      let n = Number(bits);
      for (let k = 0; k < mask.length; k++) {
        const take = Math.max(0, Math.min(8, n));
        mask[k] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
        n -= take;
      }
      const both = new Uint8Array(a.length * 2);
      both.set(a, 0);
      both.set(mask, a.length);
      return tlv(0x87, both);
    }
    case 'dn':
      return ctx(4, true, encodeName(subjectFromString(value)));
    case 'other':
      return ctx(0, true, oid('1.3.6.1.4.1.99999.1'), ctx(0, true, tlv(0x0c, enc.encode('x'))));
    default:
      throw new Error(`unknown constraint kind ${kind}`);
  }
}

/** DER of a NameConstraints value. */
export function nameConstraints(o: { permitted?: string[]; excluded?: string[] }): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.permitted) parts.push(ctx(0, true, ...o.permitted.map((p) => seq(generalName(p)))));
  if (o.excluded) parts.push(ctx(1, true, ...o.excluded.map((p) => seq(generalName(p)))));
  return seq(...parts);
}

/** An `extensions` entry for a critical NameConstraints extension. */
export function ncExtension(o: { permitted?: string[]; excluded?: string[] }, critical = true) {
  return { oid: NC_OID, critical, value: nameConstraints(o) };
}

/** A SAN value with an otherName (for the "unknown name form" rules). */
export function sanWithOtherName(dns: string): Uint8Array {
  return seq(tlv(0x82, enc.encode(dns)), generalName('other'));
}

export interface CrlOptions {
  revoked?: { serial: string; date?: Date; reason?: number }[];
  thisUpdate?: Date;
  nextUpdate?: Date;
  crlNumberCritical?: boolean;
  /** Add an issuingDistributionPoint (onlyContainsUserCerts), critical or not. */
  issuingDistributionPoint?: { critical: boolean };
  /** Sign with this key instead of the CA's (for a bad CRL signature). */
  signWith?: KeyPair;
}

/** A PEM CRL issued by `ca` (v2, AKI and CRLNumber extensions). */
export async function makeCrl(ca: CertificateAuthority, o: CrlOptions = {}): Promise<string> {
  const d = decodeCertificate(ca.certificate.der);
  const alg = signatureAlgorithmFor(ca.keyPair);
  const thisUpdate = o.thisUpdate ?? new Date(Date.now() - 3600_000);
  const nextUpdate = o.nextUpdate ?? new Date(Date.now() + 86_400_000);
  const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));
  const entries = (o.revoked ?? []).map((r) => {
    const fields = [
      unsignedInteger(hex(r.serial.length % 2 ? `0${r.serial}` : r.serial)),
      time(r.date ?? new Date(Date.now() - 60_000)),
    ];
    if (r.reason !== undefined) {
      fields.push(seq(seq(oid('2.5.29.21'), octetString(tlv(0x0a, new Uint8Array([r.reason]))))));
    }
    return seq(...fields);
  });
  const ski = ca.certificate.subjectKeyId!;
  const exts = seq(
    seq(oid('2.5.29.35'), octetString(seq(ctx(0, false, hex(ski))))),
    o.crlNumberCritical
      ? seq(oid('2.5.29.20'), boolean(true), octetString(smallInteger(7)))
      : seq(oid('2.5.29.20'), octetString(smallInteger(7))),
    ...(o.issuingDistributionPoint
      ? [
          o.issuingDistributionPoint.critical
            ? seq(oid('2.5.29.28'), boolean(true), octetString(seq(tlv(0x81, new Uint8Array([0xff])))))
            : seq(oid('2.5.29.28'), octetString(seq(tlv(0x81, new Uint8Array([0xff]))))),
        ]
      : []),
  );
  const tbs = seq(
    smallInteger(1),
    alg,
    d.subjectDer,
    time(thisUpdate),
    time(nextUpdate),
    ...(entries.length ? [seq(...entries)] : []),
    ctx(0, true, exts),
  );
  const der = seq(tbs, alg, await signToBitString(o.signWith ?? ca.keyPair, tbs));
  return encodePem('X509 CRL', der);
}
