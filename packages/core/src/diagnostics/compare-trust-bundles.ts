import type { CertificateInfo } from '../cert/parse-certificate.js';
import { parseCertificates } from '../cert/parse-certificates.js';
import { MtlsError } from '../errors/mtls-error.js';

/** One certificate of a trust bundle, as {@link compareTrustBundles} reports it. */
export interface TrustBundleEntry {
  readonly subject: string;
  /** `AA:BB:…` as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  /** base64 SHA-256 of the public key: equal for two certificates of the same key. */
  readonly spkiSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  /** Names of the bundles that hold this exact certificate, in input order. */
  readonly presentIn: readonly string[];
}

/** A CA name that appears with more than one key across the bundles: the CA was regenerated. */
export interface RegeneratedCa {
  readonly subject: string;
  /** One entry per distinct key (the first certificate seen with that key). */
  readonly variants: readonly {
    readonly spkiSha256: string;
    readonly fingerprintSha256: string;
    readonly notBefore: Date;
    readonly notAfter: Date;
    readonly presentIn: readonly string[];
  }[];
}

/** The result of {@link compareTrustBundles}. */
export interface TrustBundleComparison {
  /** Each bundle with its certificates, in input order. */
  readonly bundles: readonly { readonly name: string; readonly certificates: readonly TrustBundleEntry[] }[];
  /** Certificates present in every bundle. */
  readonly common: readonly TrustBundleEntry[];
  /** Certificates present in some bundles but not all, with where they are missing. */
  readonly partial: readonly (TrustBundleEntry & { readonly missingFrom: readonly string[] })[];
  /** Same subject, different key: the "regenerated CA" finding. */
  readonly regenerated: readonly RegeneratedCa[];
  /** Whether every bundle holds exactly the same set of certificates. */
  readonly identical: boolean;
}

/**
 * Compares two or more named trust bundles (PEM text or parsed certificates): which CAs
 * each holds, which are in some but not all, and which share a subject but not a key (a CA
 * regenerated under the same name, a classic cause of `unknown ca` / `bad certificate`).
 * Bad PEM throws the parser's {@link MtlsError}; fewer than two bundles or an empty one
 * throws `ERR_MTLS_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const cmp = compareTrustBundles({
 *   'agent-secret': readFileSync('agent/ca.crt', 'utf8'),
 *   'gateway-secret': readFileSync('gateway/ca.crt', 'utf8'),
 * });
 * for (const r of cmp.regenerated) console.log(`${r.subject} has ${r.variants.length} different keys`);
 * ```
 */
export function compareTrustBundles(
  bundles: Readonly<Record<string, string | readonly CertificateInfo[]>>,
): TrustBundleComparison {
  if (!bundles || typeof bundles !== 'object') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'compareTrustBundles() needs an object of named bundles, e.g. { ours: pem, theirs: pem }.',
    );
  }
  const names = Object.keys(bundles);
  if (names.length < 2) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `Comparing needs at least two bundles; got ${names.length}.`,
    );
  }
  const parsed = names.map((name) => {
    const input = bundles[name]!;
    let certs: readonly CertificateInfo[];
    try {
      certs = typeof input === 'string' ? parseCertificates(input) : input;
    } catch (e) {
      if (e instanceof MtlsError)
        throw new MtlsError(e.code, `Bundle "${name}": ${e.message}`, {
          cause: e,
          details: { bundle: name },
        });
      throw e;
    }
    if (!Array.isArray(certs) || certs.length === 0) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        `Bundle "${name}" holds no certificate; give PEM text with "-----BEGIN CERTIFICATE-----".`,
        {
          details: { bundle: name },
        },
      );
    }
    return { name, certs };
  });

  // Where each distinct certificate appears (a bundle may list one twice: count it once).
  const where = new Map<string, { cert: CertificateInfo; presentIn: string[] }>();
  for (const { name, certs } of parsed) {
    for (const c of certs) {
      const slot = where.get(c.fingerprintSha256) ?? { cert: c, presentIn: [] as string[] };
      if (!slot.presentIn.includes(name)) slot.presentIn.push(name);
      where.set(c.fingerprintSha256, slot);
    }
  }
  const entry = (c: CertificateInfo): TrustBundleEntry => {
    const slot = where.get(c.fingerprintSha256)!;
    return Object.freeze({
      subject: c.subject,
      fingerprintSha256: c.fingerprintSha256,
      spkiSha256: c.spkiSha256,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      isCA: c.isCA,
      presentIn: Object.freeze([...slot.presentIn]),
    });
  };
  const all = [...where.values()];
  const common = all.filter((s) => s.presentIn.length === names.length).map((s) => entry(s.cert));
  const partial = all
    .filter((s) => s.presentIn.length < names.length)
    .map((s) =>
      Object.freeze({
        ...entry(s.cert),
        missingFrom: Object.freeze(names.filter((n) => !s.presentIn.includes(n))),
      }),
    );

  // Group by subject (case-insensitively, as name matching is), then by key.
  type KeySlot = { cert: CertificateInfo; presentIn: Set<string> };
  const bySubject = new Map<string, Map<string, KeySlot>>();
  for (const s of all) {
    const subjectKey = s.cert.subject.toLowerCase();
    const keys = bySubject.get(subjectKey) ?? new Map<string, KeySlot>();
    const k = keys.get(s.cert.spkiSha256) ?? { cert: s.cert, presentIn: new Set<string>() };
    for (const n of s.presentIn) k.presentIn.add(n);
    keys.set(s.cert.spkiSha256, k);
    bySubject.set(subjectKey, keys);
  }
  const regenerated: RegeneratedCa[] = [];
  for (const keys of bySubject.values()) {
    if (keys.size < 2) continue;
    const variants = [...keys.values()].map((k) =>
      Object.freeze({
        spkiSha256: k.cert.spkiSha256,
        fingerprintSha256: k.cert.fingerprintSha256,
        notBefore: k.cert.notBefore,
        notAfter: k.cert.notAfter,
        presentIn: Object.freeze(names.filter((n) => k.presentIn.has(n))),
      }),
    );
    regenerated.push(
      Object.freeze({ subject: [...keys.values()][0]!.cert.subject, variants: Object.freeze(variants) }),
    );
  }
  return Object.freeze({
    bundles: Object.freeze(
      parsed.map(({ name, certs }) =>
        Object.freeze({ name, certificates: Object.freeze(dedupe(certs).map(entry)) }),
      ),
    ),
    common: Object.freeze(common),
    partial: Object.freeze(partial),
    regenerated: Object.freeze(regenerated),
    identical: partial.length === 0,
  });
}

function dedupe(certs: readonly CertificateInfo[]): CertificateInfo[] {
  const seen = new Set<string>();
  return certs.filter((c) => !seen.has(c.fingerprintSha256) && seen.add(c.fingerprintSha256) !== undefined);
}
