// Synchronous SHA-1 / SHA-256 for identifiers (fingerprints, SPKI pins, key ids): WebCrypto's
// digest is async only, so these come from the audited @noble/hashes, never from our own code.
// Signatures are verified by the platform.
import { sha1 as nobleSha1 } from '@noble/hashes/legacy';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** SHA-1 of `data` (only for identifiers that are defined with SHA-1, e.g. RFC 5280 key ids). */
export function sha1(data: Uint8Array): Uint8Array {
  return nobleSha1(data);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

/** `AA:BB:…` as `openssl x509 -fingerprint` prints it. */
export function toColonHex(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i++) parts.push(HEX[bytes[i]!]!.toUpperCase());
  return parts.join(':');
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)));
  return btoa(s);
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
