import { type CsrInfo, parseCsr } from '@mtlskit/core';
import { badRequest } from './http.js';

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
