import { type CertificateInfo, decodedOf } from '../../cert/parse-certificate.js';
import type { CryptoProvider } from '../../lib/crypto-provider.js';
import { latin1At } from '../../x509/general-names-scan.js';
import { type SignatureResult, verifySignature } from '../../x509/signature.js';
import { bytesEqual } from '../names/general-names.js';

/** Signature checks of the leaf started ahead of path building. */
export interface LeafSignatures {
  /** Settles once every early check has been handed to the provider (or has finished). */
  readonly dispatched: Promise<void>;
  /** The early check of `data` (the leaf's signed part) with the key `spki`, if one was started. */
  take(spki: Uint8Array, data: Uint8Array): Promise<SignatureResult> | undefined;
}

// A few anchors of one name are common (a re-keyed CA next to the old one); hostile pools
// with hundreds are left to path building and its work limits.
const MAX_EARLY = 2;

/**
 * Starts checking the leaf's signature with the keys of the trust anchors whose subject is,
 * byte for byte, the leaf's issuer: the platform hashes the signed part on its own threads
 * while the caller does the per-certificate checks (both take milliseconds for a 2 MB
 * certificate with 100,000 SANs). Only a head start: path building asks for the same checks
 * and takes these results (`take`), counting them against its work limits as its own.
 */
export function startLeafSignatures(
  crypto: CryptoProvider,
  leaf: CertificateInfo,
  anchors: readonly CertificateInfo[],
): LeafSignatures {
  const d = decodedOf(leaf);
  const started = new Map<string, Promise<SignatureResult>>();
  const dispatches: Promise<unknown>[] = [];
  // A pinned leaf (an anchor itself) needs no signature check at all.
  const pinned = anchors.some((a) => bytesEqual(decodedOf(a).der, d.der));
  for (const anchor of pinned ? [] : anchors) {
    if (started.size >= MAX_EARLY) break;
    const a = decodedOf(anchor);
    if (!bytesEqual(a.subjectDer, d.issuerDer)) continue;
    const key = keyOf(a.spki);
    if (started.has(key)) continue;
    let dispatched!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      dispatched = resolve;
    });
    const result = verifySignature(crypto, a.spki, d.signatureAlgorithm, d.tbs, d.signature, dispatched);
    started.set(key, result);
    dispatches.push(Promise.race([handedOver, result]));
  }
  return {
    dispatched: Promise.all(dispatches).then(() => undefined),
    take: (spki, data) => (data === d.tbs ? started.get(keyOf(spki)) : undefined),
  };
}

const keyOf = (spki: Uint8Array) => latin1At(spki, 0, spki.length);
