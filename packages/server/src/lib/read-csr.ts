import { type CsrInfo, parseCsr } from '@mtlskit/core';
import { badRequest } from '../http/http.js';

/** Parses a `csr_pem` field and checks its proof of possession; a 400 answer otherwise. */
export async function readCsr(pem: string): Promise<CsrInfo> {
  let csr: CsrInfo;
  try {
    csr = await parseCsr(pem);
  } catch {
    throw badRequest('Invalid field: csr_pem is not a PEM certificate signing request', 'INVALID_CSR');
  }
  if (!csr.signatureValid)
    throw badRequest(
      'Invalid field: the signature of csr_pem does not verify with its own key',
      'INVALID_CSR',
    );
  return csr;
}

/** The key algorithm of a CSR in the `KeyAlgorithm` spelling (`ECDSA-P256`, `RSA-2048`, `Ed25519`). */
export function csrKeyAlgorithm(csr: CsrInfo): string {
  if (csr.publicKeyAlgorithm === 'ECDSA') return `ECDSA-${csr.publicKeyCurve ?? 'unknown'}`;
  if (csr.publicKeyAlgorithm === 'RSA') return `RSA-${csr.publicKeySize}`;
  return csr.publicKeyAlgorithm;
}

/** A 400 when the CSR's key algorithm is not one the policy allows. */
export function checkKeyAlgorithm(csr: CsrInfo, allowed: readonly string[] | undefined): void {
  if (allowed === undefined) return;
  const algorithm = csrKeyAlgorithm(csr);
  if (!allowed.includes(algorithm))
    throw badRequest(
      `Invalid field: csr_pem has a ${algorithm} key; this backend accepts ${allowed.join(', ')}`,
      'INVALID_CSR',
    );
}
