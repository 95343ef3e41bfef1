import { type CertificateInfo, decodedOf } from '../cert/parse-certificate.js';
import type { CryptoOptions } from '../keys/key-pair.js';
import { getCrypto } from '../lib/crypto-provider.js';
import { verifySignature } from '../x509/signature.js';

// Facts about a chain that diagnose reports on its own (not the verifier's verdict): which sent
// certificate signed which, and whether an anchor with the wanted name holds the right key.

/** Distinguished names compared as the findings compare them (the printed forms, without case). */
export const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

async function signedBy(
  child: CertificateInfo,
  issuer: CertificateInfo,
  crypto: CryptoOptions['crypto'],
): Promise<boolean> {
  if (!sameName(child.issuer, issuer.subject)) return false;
  const d = decodedOf(child);
  const result = await verifySignature(
    getCrypto(crypto),
    decodedOf(issuer).spki,
    d.signatureAlgorithm,
    d.tbs,
    d.signature,
  );
  return result === 'valid';
}

/** The chain as sent: the leaf's issuer, then that one's issuer…, following names and signatures. */
export async function orderedPath(
  leaf: CertificateInfo,
  pool: CertificateInfo[],
  crypto: CryptoOptions['crypto'],
): Promise<CertificateInfo[]> {
  const path = [leaf];
  let current = leaf;
  const used = new Set([leaf.fingerprintSha256]);
  while (!current.selfIssued && path.length <= pool.length + 1) {
    let next: CertificateInfo | undefined;
    for (const c of pool) {
      if (used.has(c.fingerprintSha256)) continue;
      if (await signedBy(current, c, crypto)) {
        next = c;
        break;
      }
    }
    if (!next) break;
    path.push(next);
    used.add(next.fingerprintSha256);
    current = next;
  }
  return path;
}

export interface IssuerLookup {
  /** The certificate at the top of what we have (not issued by anything in the path). */
  top: CertificateInfo;
  /** Anchors carrying the top's issuer name (or its own name, for a root in the chain). */
  sameName: CertificateInfo[];
  /** Whether one of those anchors actually signed the top (or is the top). */
  keyMatches: boolean;
  /** The CA name looked for. */
  wanted: string;
}

export async function lookUpIssuer(
  path: CertificateInfo[],
  anchors: CertificateInfo[],
  crypto: CryptoOptions['crypto'],
): Promise<IssuerLookup> {
  const top = path[path.length - 1]!;
  // A root sent in the chain is checked against the anchor with its own name.
  const rootInChain = top.selfIssued && path.length > 1;
  const wanted = rootInChain ? top.subject : top.issuer;
  const same = anchors.filter((a) => sameName(a.subject, wanted));
  let keyMatches = false;
  for (const a of same) {
    if (
      rootInChain
        ? a.spkiSha256 === top.spkiSha256
        : a.spkiSha256 === top.spkiSha256 || (await signedBy(top, a, crypto))
    ) {
      keyMatches = true;
      break;
    }
  }
  return { top, sameName: same, keyMatches, wanted };
}
