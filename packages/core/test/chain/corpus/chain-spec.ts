// A small language for one testcase: a root, zero or more intermediates and a leaf, each
// with default RFC 5280 / CA/B-conforming extensions that a clause then breaks (or not).
import type { LimboPeerName, LimboTestcase } from '../../../src/chain/run-limbo.js';
import { encodePem } from '../../../src/pem/pem-blocks.js';
import { boolean, ctx, octetString, oid, seq, smallInteger, TAG, time, tlv } from '../../../src/x509/der.js';
import { encodeName, subjectFromString } from '../../../src/x509/name.js';
import { signatureAlgorithmFor, signToBitString } from '../../../src/x509/sign.js';
import { buildCert, type CorpusKey, type Ext, X } from './build-cert.js';

export const VT = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const ANY_EKU = '2.5.29.37.0';
export const ANY_POLICY = '2.5.29.32.0';

/** How one certificate of the chain differs from the conforming default. */
export interface CertMod {
  /** Rewrites the default extension list. */
  ext?: (e: Ext[], k: { self: CorpusKey; issuer: CorpusKey; issuerCert?: IssuerRef }) => Ext[];
  subject?: string;
  /** Issuer name written into the certificate (default: the real issuer's subject). */
  issuerName?: string;
  notBefore?: Date;
  notAfter?: Date;
  serial?: Uint8Array;
  innerAlgorithm?: Uint8Array;
  corruptSignature?: boolean;
  version?: 1 | 2 | 3;
  /** Use this key instead of a fresh one from the pool. */
  key?: CorpusKey;
}

export interface ChainSpec {
  root?: CertMod;
  /** Intermediates from the root down. Default one. */
  icas?: CertMod[];
  leaf?: CertMod;
  /** Peer name to check; default DNS leaf.example.com; null for none. */
  peer?: LimboPeerName | null;
  maxDepth?: number;
  /** CRLs, each issued by the certificate at this index (0 = root, 1 = first intermediate). */
  crls?: CrlSpec[];
}

export interface CrlSpec {
  by: number;
  revokeLeaf?: boolean;
  nextUpdate?: Date;
  extraExtension?: Ext;
  /** Leave out a mandatory CRL extension. */
  omit?: 'aki' | 'crlNumber';
}

/** Replace (or add) the extension with the same OID. */
export const put =
  (...add: Ext[]) =>
  (e: Ext[]) => [...e.filter((x) => !add.some((a) => a.oid === x.oid)), ...add];
/** Drop extensions by OID. */
export const drop =
  (...oids: string[]) =>
  (e: Ext[]) =>
    e.filter((x) => !oids.includes(x.oid));
/** Append without replacing (duplicates on purpose). */
export const append =
  (...add: Ext[]) =>
  (e: Ext[]) => [...e, ...add];
export const OIDS = {
  bc: '2.5.29.19',
  ku: '2.5.29.15',
  eku: '2.5.29.37',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  san: '2.5.29.17',
  nc: '2.5.29.30',
  cp: '2.5.29.32',
  pc: '2.5.29.36',
} as const;

function caDefaults(self: CorpusKey, issuer: CorpusKey | undefined): Ext[] {
  return [X.bc(true), X.ku(['keyCertSign', 'cRLSign']), X.ski(self), ...(issuer ? [X.aki(issuer)] : [])];
}

function leafDefaults(self: CorpusKey, issuer: CorpusKey): Ext[] {
  return [
    X.ku(['digitalSignature']),
    X.eku([SERVER_AUTH, CLIENT_AUTH]),
    X.ski(self),
    X.aki(issuer),
    X.san(['dns:leaf.example.com']),
  ];
}

/** What an AKI's authorityCertIssuer / authorityCertSerialNumber name: the issuer's issuer and serial. */
export interface IssuerRef {
  issuerName: string;
  serial: Uint8Array;
}

interface Built {
  pem: string;
  key: CorpusKey;
  subject: string;
  issuerName: string;
  serial: Uint8Array;
}

async function one(
  mod: CertMod,
  subject: string,
  key: CorpusKey,
  issuer: Built | undefined,
  defaults: Ext[],
): Promise<Built> {
  const self = mod.key ?? key;
  const issuerKey = issuer?.key ?? self;
  const s = mod.subject ?? subject;
  const issuerCert = issuer ? { issuerName: issuer.issuerName, serial: issuer.serial } : undefined;
  const exts = mod.ext ? mod.ext(defaults, { self, issuer: issuerKey, issuerCert }) : defaults;
  const serial = mod.serial ?? randomSerial();
  const issuerName = mod.issuerName ?? issuer?.subject ?? s;
  const pem = await buildCert({
    subject: s,
    issuer: issuerName,
    key: self,
    signer: issuerKey,
    serial,
    notBefore: mod.notBefore ?? new Date(VT.getTime() - 30 * DAY),
    notAfter: mod.notAfter ?? new Date(VT.getTime() + 30 * DAY),
    extensions: exts,
    innerAlgorithm: mod.innerAlgorithm,
    corruptSignature: mod.corruptSignature,
    version: mod.version,
  });
  return { pem, key: self, subject: s, issuerName, serial };
}

function randomSerial(): Uint8Array {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

async function crl(spec: CrlSpec, issuer: Built, leafSerial: Uint8Array): Promise<string> {
  const alg = signatureAlgorithmFor(issuer.key.pair);
  const exts = [
    ...(spec.omit === 'aki' ? [] : [seq(oid('2.5.29.35'), octetString(seq(tlv(0x80, issuer.key.keyId))))]),
    ...(spec.omit === 'crlNumber' ? [] : [seq(oid('2.5.29.20'), octetString(smallInteger(1)))]),
    ...(spec.extraExtension
      ? [
          seq(
            oid(spec.extraExtension.oid),
            ...(spec.extraExtension.critical ? [boolean(true)] : []),
            octetString(spec.extraExtension.value),
          ),
        ]
      : []),
  ];
  const revoked = spec.revokeLeaf
    ? [seq(seq(tlv(TAG.INTEGER, leafSerial), time(new Date(VT.getTime() - 2 * DAY))))]
    : [];
  const tbs = seq(
    smallInteger(1),
    alg,
    encodeName(subjectFromString(issuer.subject)),
    time(new Date(VT.getTime() - DAY)),
    time(spec.nextUpdate ?? new Date(VT.getTime() + 7 * DAY)),
    ...revoked,
    ctx(0, true, seq(...exts)),
  );
  return encodePem('X509 CRL', seq(tbs, alg, await signToBitString(issuer.key.pair, tbs)));
}

/** Builds one x509-limbo testcase from a spec; `keys` must hold enough distinct keys. */
export async function buildCase(
  id: string,
  description: string,
  kind: 'SERVER' | 'CLIENT',
  expected: 'SUCCESS' | 'FAILURE',
  spec: ChainSpec,
  keys: CorpusKey[],
): Promise<LimboTestcase> {
  const tag = id.replace(/[^a-zA-Z0-9-]/g, '-').slice(-48);
  const rootKey = spec.root?.key ?? keys[0]!;
  const rootBuilt = await one(
    spec.root ?? {},
    `CN=Root ${tag}`,
    rootKey,
    undefined,
    caDefaults(rootKey, rootKey),
  );
  const chain: Built[] = [rootBuilt];
  const icas = spec.icas ?? [{}];
  for (const [i, m] of icas.entries()) {
    const issuer = chain[chain.length - 1]!;
    const self = m.key ?? keys[1 + i]!;
    chain.push(await one(m, `CN=ICA${i + 1} ${tag}`, self, issuer, caDefaults(self, issuer.key)));
  }
  const issuer = chain[chain.length - 1]!;
  const leafKey = spec.leaf?.key ?? keys[1 + icas.length]!;
  const leafSerial = spec.leaf?.serial ?? new Uint8Array([0x11, 0x22, 0x33, 0x44]);
  const leaf = await one(
    { ...spec.leaf, serial: leafSerial },
    'CN=leaf.example.com',
    leafKey,
    issuer,
    leafDefaults(leafKey, issuer.key),
  );
  const crls = await Promise.all((spec.crls ?? []).map((c) => crl(c, chain[c.by]!, leafSerial)));
  const peer =
    spec.peer === undefined ? ({ kind: 'DNS', value: 'leaf.example.com' } as LimboPeerName) : spec.peer;
  return {
    id,
    description,
    features: [],
    validation_kind: kind,
    trusted_certs: [rootBuilt.pem],
    untrusted_intermediates: chain.slice(1).map((c) => c.pem),
    peer_certificate: leaf.pem,
    validation_time: VT.toISOString(),
    signature_algorithms: [],
    key_usage: [],
    extended_key_usage: [kind === 'SERVER' ? 'serverAuth' : 'clientAuth'],
    expected_result: expected,
    expected_peer_name: peer,
    max_chain_depth: spec.maxDepth ?? null,
    crls,
  };
}
