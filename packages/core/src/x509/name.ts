import {
  children,
  DerError,
  type DerNode,
  decodeOid,
  decodeString,
  expectTag,
  oid,
  printableString,
  seq,
  set,
  TAG,
  utf8String,
} from './der.js';
import { NAME_ATTRIBUTES } from './oids.js';

/** One attribute of a distinguished name. */
export interface NameAttribute {
  /** Short name (`CN`, `O`, …) or the dotted OID for types mtlskit has no name for. */
  type: string;
  /** Dotted OID of the attribute type. */
  oid: string;
  value: string;
}

const byOid = new Map(NAME_ATTRIBUTES.map(([s, o]) => [o, s]));
const byShort = new Map(NAME_ATTRIBUTES.map(([s, o]) => [s.toUpperCase(), o]));
const byKey = new Map(NAME_ATTRIBUTES.map(([, o, k]) => [k, o]));

/** Parses a DER Name into RDNs (outer array, in encoded order) of attributes. */
export function parseName(node: DerNode): NameAttribute[][] {
  expectTag(node, TAG.SEQUENCE, 'Name');
  return children(node).map((rdn) => {
    expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
    const attrs = children(rdn).map((atv) => {
      const [t, v, extra] = children(expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      const o = decodeOid(expectTag(t, TAG.OID, 'attribute type').value);
      if (!v) throw new DerError('attribute value missing');
      if (extra) throw new DerError('AttributeTypeAndValue has trailing elements');
      return { type: byOid.get(o) ?? o, oid: o, value: decodeString(v) };
    });
    if (attrs.length === 0) throw new DerError('empty RelativeDistinguishedName');
    return attrs;
  });
}

function escapeValue(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, '\\$&');
  s = s.replace(/^[ #]/, '\\$&').replace(/ $/, '\\ ');
  return s.replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4514 string: last RDN first, `+` inside an RDN, special characters escaped. */
export function nameToString(rdns: NameAttribute[][]): string {
  return [...rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join('+'))
    .join(',');
}

/** Subject given as an object; every field is optional. Arrays give repeated attributes. */
export interface SubjectFields {
  commonName?: string;
  organization?: string | string[];
  organizationalUnit?: string | string[];
  country?: string;
  state?: string;
  locality?: string;
  street?: string;
  serialNumber?: string;
  domainComponent?: string | string[];
  emailAddress?: string;
  userId?: string;
  title?: string;
  givenName?: string;
  surname?: string;
}

const OBJECT_ORDER = [
  'domainComponent',
  'country',
  'state',
  'locality',
  'street',
  'organization',
  'organizationalUnit',
  'title',
  'surname',
  'givenName',
  'serialNumber',
  'userId',
  'commonName',
  'emailAddress',
] as const;

/** Turns an object subject (most general first, as OpenSSL orders them) into RDNs. */
export function subjectFromObject(subject: SubjectFields): NameAttribute[][] {
  const known = new Set<string>(OBJECT_ORDER);
  for (const k of Object.keys(subject)) {
    if (!known.has(k)) throw new TypeError(`unknown subject field "${k}"; known: ${OBJECT_ORDER.join(', ')}`);
  }
  const rdns: NameAttribute[][] = [];
  for (const key of OBJECT_ORDER) {
    const v = subject[key];
    if (v === undefined) continue;
    const o = byKey.get(key)!;
    for (const value of Array.isArray(v) ? v : [v]) {
      if (typeof value !== 'string') throw new TypeError(`subject.${key} must be a string`);
      rdns.push([{ type: byOid.get(o)!, oid: o, value }]);
    }
  }
  return rdns;
}

/** Parses an RFC 4514 string (`CN=agent-1,O=Example`) into RDNs in encoding order. */
export function subjectFromString(text: string): NameAttribute[][] {
  if (text.trim() === '') return [];
  const rdns: NameAttribute[][] = [];
  let rdn: NameAttribute[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let type = '';
    while (i < n && text[i] !== '=') type += text[i++];
    if (i >= n) throw new TypeError(`invalid distinguished name "${text}": "${type.trim()}" has no "="`);
    i++;
    type = type.trim();
    let value = '';
    let pendingSpaces = '';
    while (i < n && text[i] !== ',' && text[i] !== '+') {
      const c = text[i]!;
      if (c === '\\') {
        const h = text.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(h)) {
          value += pendingSpaces + String.fromCharCode(Number.parseInt(h, 16));
          i += 3;
        } else if (i + 1 < n) {
          value += pendingSpaces + text[i + 1];
          i += 2;
        } else throw new TypeError(`invalid distinguished name "${text}": dangling "\\"`);
        pendingSpaces = '';
        continue;
      }
      if (c === ' ') pendingSpaces += c;
      else {
        value += (value === '' ? '' : pendingSpaces) + c;
        pendingSpaces = '';
      }
      i++;
    }
    const o = /^\d+(\.\d+)+$/.test(type) ? type : (byShort.get(type.toUpperCase()) ?? byKey.get(type));
    if (!o) throw new TypeError(`invalid distinguished name "${text}": unknown attribute type "${type}"`);
    rdn.push({ type: byOid.get(o) ?? o, oid: o, value });
    if (i >= n || text[i] === ',') {
      rdns.push(rdn);
      rdn = [];
    }
    i++;
  }
  if (rdn.length) rdns.push(rdn);
  return rdns.reverse();
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** DER Name; country and serial number as PrintableString (RFC 5280), the rest UTF8String. */
export function encodeName(rdns: NameAttribute[][]): Uint8Array {
  return seq(
    ...rdns.map((rdn) =>
      set(
        ...rdn.map((a) => {
          const printable = (a.oid === '2.5.4.6' || a.oid === '2.5.4.5') && PRINTABLE.test(a.value);
          return seq(oid(a.oid), printable ? printableString(a.value) : utf8String(a.value));
        }),
      ),
    ),
  );
}

export function commonNameOf(rdns: NameAttribute[][]): string | undefined {
  let cn: string | undefined;
  for (const rdn of rdns) for (const a of rdn) if (a.oid === '2.5.4.3') cn = a.value;
  return cn;
}
