import { isMtlsError, joinPem, MtlsError, parseCertificate } from '@mtlskit/core';
import { trustDomainName } from '../id/trust-domain-name.js';
import { derToPem, splitConcatenatedDer } from '../lib/der.js';
import type { X509Svid } from './x509-svid.js';

/** The `X509SVIDResponse` message as grpc-js decodes it (proto field names). */
export interface X509SvidResponseMessage {
  svids?: {
    spiffe_id?: string;
    x509_svid?: Uint8Array;
    x509_svid_key?: Uint8Array;
    bundle?: Uint8Array;
    hint?: string;
  }[];
  crl?: Uint8Array[];
  federated_bundles?: Record<string, Uint8Array>;
}

/** One Workload API message, converted to PEM. */
export interface X509Context {
  readonly svids: readonly X509Svid[];
  /** Federated bundles keyed by trust domain name. */
  readonly federatedBundlesPem: Readonly<Record<string, string>>;
  readonly crlsPem: string;
}

function malformed(why: string, cause?: unknown, details?: Record<string, unknown>): MtlsError {
  return new MtlsError(
    'ERR_MTLS_SPIFFE_SVID_INVALID',
    `The Workload API sent an unusable X.509-SVID message: ${why}; the current SVID stays in service.`,
    { cause, details },
  );
}

function certificatesPem(der: Uint8Array | undefined, what: string): string {
  if (der === undefined || der.length === 0) throw malformed(`the ${what} is empty`);
  const pems = splitConcatenatedDer(der, what).map((c) => {
    try {
      return parseCertificate(c).pem;
    } catch (e) {
      throw malformed(
        `the ${what} holds a certificate that does not parse (${isMtlsError(e) ? e.message : 'unreadable'})`,
        e,
      );
    }
  });
  return joinPem(pems);
}

/**
 * Converts a decoded `X509SVIDResponse` into PEM material. Structural problems (empty
 * fields, bytes that are not DER certificates) throw `ERR_MTLS_SPIFFE_SVID_INVALID`; the
 * cryptographic checks come later, per picked SVID.
 */
export function parseX509SvidResponse(message: X509SvidResponseMessage): X509Context {
  const svids = (message.svids ?? []).map((s, index): X509Svid => {
    const spiffeId = s.spiffe_id ?? '';
    if (s.x509_svid_key === undefined || s.x509_svid_key.length === 0)
      throw malformed(`SVID ${index} (${spiffeId}) has no private key`);
    const svid = {
      spiffeId,
      hint: s.hint ?? '',
      certificateChainPem: certificatesPem(s.x509_svid, `x509_svid of SVID ${index}`),
      bundlePem: certificatesPem(s.bundle, `bundle of SVID ${index}`),
    };
    // The key stays out of JSON, util.inspect and object spreads.
    Object.defineProperty(svid, 'privateKeyPem', {
      value: derToPem('PRIVATE KEY', s.x509_svid_key),
      enumerable: false,
    });
    return Object.freeze(svid) as X509Svid;
  });
  const federatedBundlesPem: Record<string, string> = {};
  for (const [key, der] of Object.entries(message.federated_bundles ?? {})) {
    let td: string;
    try {
      td = trustDomainName(key);
    } catch (e) {
      throw malformed(`a federated bundle is keyed by "${key}", which is not a trust domain`, e);
    }
    federatedBundlesPem[td] = certificatesPem(der, `federated bundle of ${td}`);
  }
  const crlsPem = (message.crl ?? []).map((c) => derToPem('X509 CRL', c)).join('');
  return { svids, federatedBundlesPem, crlsPem };
}
