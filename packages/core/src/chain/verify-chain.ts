import { type CertificateInfo, parseCertificate } from '../cert/parse-certificate.js';
import { isMtlsError, MtlsError } from '../errors/mtls-error.js';
import { type CryptoProvider, getCrypto } from '../lib/crypto-provider.js';
import { decodePemBlocks, MAX_BUNDLE_BYTES } from '../pem/pem-blocks.js';
import { verifySignature } from '../x509/signature.js';
import type { ChainProfile, ChainPurpose, ChainVerdict } from './chain-verdict.js';
import { type DecodedCrl, decodeCrl } from './crl/decode-crl.js';
import { leafNameAnswers } from './names/check-leaf-identity.js';
import { bytesEqual } from './names/general-names.js';
import { buildPath, type CertPool } from './path/build-path.js';
import { type ChainCert, chainCertOf } from './path/chain-cert.js';
import { startLeafSignatures } from './path/start-leaf-signatures.js';
import { DEFAULT_WORK_LIMITS, WorkBudget, WorkLimitError, type WorkLimits } from './path/work-budget.js';
import type { ValidateContext } from './validate/validate-path.js';

/** Certificates as PEM text (one or a bundle), DER bytes, parsed certificates, or a list of those. */
export type CertificatesInput =
  | string
  | Uint8Array
  | CertificateInfo
  | readonly (string | Uint8Array | CertificateInfo)[];

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** The certificate to verify. A PEM bundle counts as leaf first, then intermediates. */
  leaf: CertificatesInput;
  /** Untrusted intermediates to build the path from, in any order. Default none. */
  intermediates?: CertificatesInput;
  /** The trusted CA certificates (roots, or pinned intermediates/leaves). Required. */
  trustAnchors: CertificatesInput;
  /** Time to validate at. Default now. Fractions of a second are dropped (as in certificates). */
  at?: Date | number;
  /**
   * What the leaf is for: `'clientAuth'` or `'serverAuth'` (checks extended and key usage
   * along the path), or `'any'` to skip those checks. Required: a certificate made for code
   * signing or CRL signing must not verify for TLS by default.
   */
  purpose: ChainPurpose;
  /** DNS name (RFC 6125, wildcard in the left-most label only) or IP literal the leaf must match. Default: not checked. */
  hostname?: string;
  /** IP address the leaf must carry as an IP SAN. Default: not checked. */
  ip?: string;
  /** URI the leaf must carry as a URI SAN, e.g. a SPIFFE ID `spiffe://example.org/agent`. Default: not checked. */
  uri?: string;
  /** Email address (rfc822Name SAN) the leaf must carry. Default: not checked. */
  email?: string;
  /** Most intermediates allowed between leaf and trust anchor. Default 10. */
  maxDepth?: number;
  /** CRLs (PEM `X509 CRL` text or DER) to check revocation against. Default none. */
  crls?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** WebCrypto provider. Default `globalThis.crypto` (or the one set with setCryptoProvider). */
  crypto?: CryptoProvider;
  /** Work limits. Defaults: 256 signature checks, 2048 path candidates, 65,536 name-constraint comparisons. */
  limits?: Partial<WorkLimits>;
  /**
   * The rules the chain is held to: `'webpki'` (RFC 5280 plus the CA/Browser Forum rules for
   * TLS server certificates) or `'rfc5280'`. Default `'webpki'` for `purpose: 'serverAuth'`,
   * `'rfc5280'` otherwise. A webpki-only refusal sets `profileRule` on the verdict.
   */
  profile?: ChainProfile;
  /**
   * RFC 5280 §6.1.1 (c) user-initial-policy-set: certificate policy OIDs the caller accepts.
   * Default: any policy. With `requireExplicitPolicy`, the path must be valid for one of them.
   */
  initialPolicySet?: readonly string[];
  /** RFC 5280 §6.1.1 (f) initial-explicit-policy: the path must be valid for a policy. Default false. */
  requireExplicitPolicy?: boolean;
  /** RFC 5280 §6.1.1 (e) initial-policy-mapping-inhibit: policy mappings are not followed. Default false. */
  inhibitPolicyMapping?: boolean;
  /** RFC 5280 §6.1.1 (g) initial-any-policy-inhibit: anyPolicy in a CA does not match. Default false. */
  inhibitAnyPolicy?: boolean;
}

const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const MAX_CERTIFICATES = 1000;
const PURPOSES = new Set<ChainPurpose>(['any', 'clientAuth', 'serverAuth']);
const PROFILES = new Set<ChainProfile>(['webpki', 'rfc5280']);
const POLICY_OID = /^[0-2](\.(0|[1-9]\d{0,15})){1,63}$/;

interface Parsed {
  certs: CertificateInfo[];
  errors: string[];
}

// Trust stores are passed again and again as the same text: parse them once.
const anchorCache = new Map<string, Parsed>();
const ANCHOR_CACHE_SIZE = 32;

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

function parseOne(item: string | Uint8Array | CertificateInfo, what: string, out: Parsed): void {
  if (typeof item === 'string') {
    let blocks: ReturnType<typeof decodePemBlocks>;
    try {
      blocks = decodePemBlocks(item, what, MAX_BUNDLE_BYTES);
    } catch (e) {
      out.errors.push(isMtlsError(e) ? e.message : String(e));
      return;
    }
    const certBlocks = blocks.filter((b) => CERT_LABELS.has(b.label));
    if (certBlocks.length === 0) {
      out.errors.push(`The ${what} holds no PEM CERTIFICATE block.`);
      return;
    }
    for (const b of certBlocks) parseOne(b.der, what, out);
    return;
  }
  if (item instanceof Uint8Array) {
    try {
      out.certs.push(parseCertificate(item));
    } catch (e) {
      if (!isMtlsError(e)) throw e;
      out.errors.push(e.message);
    }
    return;
  }
  if (item && typeof item === 'object' && (item as CertificateInfo).der instanceof Uint8Array) {
    // Only the DER of a CertificateInfo is used: every other field (fingerprint, subject, CA
    // flag…) could have been edited by the caller, so it is derived again (parseCertificate
    // keeps a copy of the bytes).
    try {
      out.certs.push(parseCertificate((item as CertificateInfo).der));
    } catch (e) {
      if (!isMtlsError(e)) throw e;
      out.errors.push(`A CertificateInfo in the ${what} does not decode: ${e.message}`);
    }
    return;
  }
  throw invalid(
    `The ${what} must be PEM text, DER bytes or CertificateInfo objects (from parseCertificate), got ${typeof item}.`,
  );
}

function parseInput(input: CertificatesInput, what: string): Parsed {
  const out: Parsed = { certs: [], errors: [] };
  const items = Array.isArray(input)
    ? (input as readonly (string | Uint8Array | CertificateInfo)[])
    : [input as string];
  if (items.length > MAX_CERTIFICATES)
    throw invalid(`The ${what} holds ${items.length} items; at most ${MAX_CERTIFICATES} are accepted.`);
  for (const item of items) parseOne(item, what, out);
  if (out.certs.length > MAX_CERTIFICATES) {
    out.errors.push(`The ${what} holds more than ${MAX_CERTIFICATES} certificates.`);
    out.certs.length = MAX_CERTIFICATES;
  }
  return out;
}

function parseAnchors(input: CertificatesInput): Parsed {
  if (typeof input !== 'string') return parseInput(input, 'trust anchors');
  const hit = anchorCache.get(input);
  if (hit) return hit;
  const parsed = parseInput(input, 'trust anchors');
  for (const c of parsed.certs) Object.freeze(c);
  if (anchorCache.size >= ANCHOR_CACHE_SIZE) anchorCache.delete(anchorCache.keys().next().value!);
  anchorCache.set(input, parsed);
  return parsed;
}

function parseCrls(input: VerifyChainOptions['crls']): { crls: DecodedCrl[]; error: string | undefined } {
  if (input === undefined) return { crls: [], error: undefined };
  const items = Array.isArray(input) ? (input as readonly (string | Uint8Array)[]) : [input as string];
  const crls: DecodedCrl[] = [];
  for (const item of items) {
    let ders: Uint8Array[];
    if (typeof item === 'string') {
      try {
        ders = decodePemBlocks(item, 'CRL')
          .filter((b) => b.label === 'X509 CRL' || b.label === 'CRL')
          .map((b) => b.der);
      } catch (e) {
        if (!isMtlsError(e)) throw e;
        return { crls, error: e.message };
      }
      if (ders.length === 0) return { crls, error: 'A CRL input holds no "X509 CRL" PEM block.' };
    } else if (item instanceof Uint8Array) ders = [item];
    else throw invalid('crls must be PEM text or DER bytes.');
    for (const der of ders) {
      try {
        crls.push(decodeCrl(der));
      } catch (e) {
        if (!isMtlsError(e)) throw e;
        return { crls, error: `A CRL is not valid DER (${e.message}).` };
      }
    }
  }
  return { crls, error: undefined };
}

function checkOptions(o: VerifyChainOptions): void {
  if (!o || typeof o !== 'object')
    throw invalid('verifyChain() needs an options object: { leaf, trustAnchors, ... }.');
  if (o.leaf === undefined || o.leaf === null)
    throw invalid('verifyChain() needs `leaf`: the certificate (PEM, DER or CertificateInfo) to verify.');
  if (o.trustAnchors === undefined || o.trustAnchors === null || o.trustAnchors === '') {
    throw invalid('verifyChain() needs `trustAnchors`: the CA certificates you trust (PEM bundle or list).');
  }
  if (Array.isArray(o.trustAnchors) && o.trustAnchors.length === 0)
    throw invalid('`trustAnchors` is empty: pass at least one trusted CA certificate.');
  if (!PURPOSES.has(o.purpose)) {
    throw invalid(
      o.purpose === undefined
        ? "verifyChain() needs `purpose`: 'clientAuth' or 'serverAuth' (what the leaf is used for), or 'any' to skip the usage checks."
        : `\`purpose\` must be 'clientAuth', 'serverAuth' or 'any', got ${JSON.stringify(o.purpose)}.`,
    );
  }
  if (o.profile !== undefined && !PROFILES.has(o.profile)) {
    throw invalid(`\`profile\` must be 'webpki' or 'rfc5280', got ${JSON.stringify(o.profile)}.`);
  }
  if (o.initialPolicySet !== undefined) {
    if (
      !Array.isArray(o.initialPolicySet) ||
      o.initialPolicySet.length === 0 ||
      o.initialPolicySet.length > 1000 ||
      !o.initialPolicySet.every((p) => typeof p === 'string' && POLICY_OID.test(p))
    ) {
      throw invalid(
        '`initialPolicySet` must be a non-empty list of dotted policy OIDs such as "2.23.140.1.2.1" ("2.5.29.32.0" is anyPolicy).',
      );
    }
  }
  for (const k of ['requireExplicitPolicy', 'inhibitPolicyMapping', 'inhibitAnyPolicy'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalid(`\`${k}\` must be true or false.`);
  }
  if (o.at !== undefined) {
    const t = o.at instanceof Date ? o.at.getTime() : o.at;
    if (typeof t !== 'number' || !Number.isFinite(t))
      throw invalid('`at` must be a valid Date or a time in ms since the epoch.');
  }
  if (o.maxDepth !== undefined && !(Number.isInteger(o.maxDepth) && o.maxDepth >= 0 && o.maxDepth <= 100)) {
    throw invalid(
      '`maxDepth` must be a whole number from 0 to 100 (intermediates allowed between leaf and anchor).',
    );
  }
  for (const k of ['hostname', 'ip', 'uri', 'email'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 2048))
      throw invalid(`\`${k}\` must be a non-empty string.`);
  }
  if (o.limits !== undefined) {
    for (const [k, v] of Object.entries(o.limits)) {
      if (!(k in DEFAULT_WORK_LIMITS) || !(Number.isInteger(v) && (v as number) > 0)) {
        throw invalid(
          `\`limits.${k}\` must be a positive whole number (known limits: ${Object.keys(DEFAULT_WORK_LIMITS).join(', ')}).`,
        );
      }
    }
  }
}

/**
 * Verifies a certificate chain per RFC 5280 §6: builds every candidate path from the leaf
 * to a trust anchor (cross-signed and alternative issuers included, loops refused) and
 * returns the first that passes every check: signatures (platform WebCrypto), validity at
 * `at`, CA flags, key usage, path lengths, extended key usage for `purpose` (on
 * intermediates too), name constraints, unknown critical extensions, CRLs, and the leaf's
 * host name, IP, URI or email. When no path passes, the verdict carries the most telling
 * reason: `ISSUER_KEY_MISMATCH` when a CA of the right name has another key (a CA
 * regenerated under the same name), `MISSING_INTERMEDIATE` with `missingIssuer` when the
 * chain lacks a certificate, and so on. Work is bounded: hostile input ends in `WORK_LIMIT`.
 *
 * Never throws for bad certificates (they give a `MALFORMED` verdict); throws an
 * {@link MtlsError} `ERR_MTLS_INVALID_ARGUMENT` for bad options.
 *
 * @example
 * ```ts
 * const verdict = await verifyChain({
 *   leaf: readFileSync('client-chain.pem', 'utf8'),   // leaf, then intermediates
 *   trustAnchors: readFileSync('ca.pem', 'utf8'),
 *   purpose: 'clientAuth',
 *   uri: 'spiffe://example.org/agent-1',
 * });
 * if (!verdict.ok) console.error(verdict.code, verdict.message); // e.g. ISSUER_KEY_MISMATCH
 * ```
 */
export async function verifyChain(options: VerifyChainOptions): Promise<ChainVerdict> {
  checkOptions(options);
  const crypto = getCrypto(options.crypto);
  const leafParsed = parseInput(options.leaf, 'leaf');
  const leafInfo = leafParsed.certs[0];
  if (!leafInfo) {
    return {
      ok: false,
      code: 'MALFORMED',
      depth: 0,
      message: `The leaf certificate cannot be read: ${leafParsed.errors[0] ?? 'no certificate found'} Pass the certificate as PEM text, DER bytes or a CertificateInfo.`,
    };
  }
  const interParsed =
    options.intermediates === undefined
      ? { certs: [], errors: [] }
      : parseInput(options.intermediates, 'intermediates');
  const anchorParsed = parseAnchors(options.trustAnchors);
  const badInputs = [...leafParsed.errors, ...interParsed.errors, ...anchorParsed.errors];
  if (anchorParsed.certs.length === 0) {
    return {
      ok: false,
      code: 'MALFORMED',
      message: `No trust anchor could be read: ${anchorParsed.errors[0] ?? 'no certificate found'} Pass the CA certificates as PEM.`,
    };
  }
  const { crls, error: crlError } = parseCrls(options.crls);
  if (crlError)
    return { ok: false, code: 'MALFORMED', message: `${crlError} Pass CRLs as PEM ("X509 CRL") or DER.` };

  // The leaf's signature check starts before the per-certificate checks below, so that the
  // platform hashes while they run; path building takes the results.
  const early = startLeafSignatures(crypto, leafInfo, anchorParsed.certs);
  await early.dispatched;
  const leaf = chainCertOf(leafInfo);
  const anchors = new Set<ChainCert>();
  const bySubject = new Map<string, ChainCert[]>();
  // The same certificate given twice (same DER) is one node; compared byte for byte, not by
  // a fingerprint, so no hash of a huge certificate is needed to verify it.
  const find = (c: ChainCert) => bySubject.get(c.subjectKey)?.find((x) => bytesEqual(x.d.der, c.d.der));
  const add = (info: CertificateInfo, anchor: boolean) => {
    const c = info === leafInfo ? leaf : chainCertOf(info);
    const existing = find(c);
    if (existing) {
      if (anchor) anchors.add(existing);
      return;
    }
    if (anchor) anchors.add(c);
    const list = bySubject.get(c.subjectKey);
    if (list) list.push(c);
    else bySubject.set(c.subjectKey, [c]);
  };
  for (const a of anchorParsed.certs) add(a, true);
  // The leaf is an anchor when it is pinned itself (same DER).
  const pinned = find(leaf);
  for (const i of [...leafParsed.certs.slice(1), ...interParsed.certs]) add(i, false);
  const pool: CertPool = { anchors, bySubject };

  const limits: WorkLimits = { ...DEFAULT_WORK_LIMITS, ...options.limits };
  const work = new WorkBudget(limits);
  const at =
    options.at === undefined ? Date.now() : options.at instanceof Date ? options.at.getTime() : options.at;
  const ctx: ValidateContext = {
    at: new Date(Math.floor(at / 1000) * 1000),
    purpose: options.purpose,
    profile: options.profile ?? (options.purpose === 'serverAuth' ? 'webpki' : 'rfc5280'),
    policy: {
      ...(options.initialPolicySet ? { initialPolicySet: options.initialPolicySet } : {}),
      requireExplicitPolicy: options.requireExplicitPolicy ?? false,
      inhibitPolicyMapping: options.inhibitPolicyMapping ?? false,
      inhibitAnyPolicy: options.inhibitAnyPolicy ?? false,
    },
    hostname: options.hostname,
    ip: options.ip,
    uri: options.uri,
    email: options.email,
    maxDepth: options.maxDepth ?? 10,
    crls,
    work,
    leafNames: new WeakMap(),
    verify: (signer, alg, data, signature) => {
      work.spend('signatureChecks');
      return early.take(signer.d.spki, data) ?? verifySignature(crypto, signer.d.spki, alg, data, signature);
    },
  };
  // While the platform hashes the leaf's signed part: the leaf's SANs are read for the host
  // name and CN checks now rather than after the signature is known.
  try {
    leafNameAnswers(pinned ?? leaf, ctx);
  } catch {
    // Not kept: checkLeafIdentity asks again in its turn and meets the error there.
  }
  try {
    const result = await buildPath(pinned ?? leaf, pool, ctx);
    if (result.ok) return { ok: true, chain: result.path.map((c) => c.info) };
    const f = result.failure;
    if ((f.code === 'MISSING_INTERMEDIATE' || f.code === 'UNKNOWN_ISSUER') && badInputs.length > 0) {
      return {
        ok: false,
        code: 'MALFORMED',
        depth: f.depth,
        certificate: f.cert?.info,
        missingIssuer: f.missingIssuer,
        message: `${f.message} Some of the certificates given could not be read and may be the missing one: ${badInputs[0]}`,
      };
    }
    return {
      ok: false,
      code: f.code,
      message: f.message,
      depth: f.depth,
      ...(f.cert ? { certificate: f.cert.info } : {}),
      ...(f.missingIssuer !== undefined ? { missingIssuer: f.missingIssuer } : {}),
      ...(f.profileRule !== undefined ? { profileRule: f.profileRule } : {}),
    };
  } catch (e) {
    if (e instanceof WorkLimitError) {
      return {
        ok: false,
        code: 'WORK_LIMIT',
        message: `Gave up: path building reached its ${e.what} limit (${limits[e.what]}) before finding a valid chain. The certificates given look hostile or far too many; pass only the leaf, its intermediates and the CAs you trust.`,
      };
    }
    throw e;
  }
}
