import { MtlsError } from '@mtlskit/core';

/**
 * Splits concatenated DER structures (the Workload API's `x509_svid` and `bundle` fields
 * are certificates back to back, without PEM). Only the outer TLV lengths are read; the
 * certificates themselves are parsed by core afterwards.
 */
export function splitConcatenatedDer(bytes: Uint8Array, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = at + tlvLength(bytes, at, what);
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

function tlvLength(bytes: Uint8Array, start: number, what: string): number {
  const bad = (why: string): MtlsError =>
    new MtlsError(
      'ERR_MTLS_SPIFFE_SVID_INVALID',
      `The Workload API sent a ${what} that is not concatenated DER (${why}); check the agent's version.`,
      { details: { field: what, offset: start } },
    );
  if (bytes[start] !== 0x30) throw bad('expected a SEQUENCE');
  const first = bytes[start + 1];
  if (first === undefined) throw bad('truncated');
  let header = 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw bad('unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[start + 2 + i];
      if (b === undefined) throw bad('truncated');
      length = length * 256 + b;
    }
    header += count;
  }
  if (start + header + length > bytes.length) throw bad('truncated');
  return header + length;
}

/** PEM armour for DER bytes (64-column base64, newline-terminated). */
export function derToPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
