import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CertificateInfo, parseCertificate, parseCertificates } from '@mtlskit/core';
import { CliError, FileError } from './cli-error.js';

/** Reads a file as bytes; any failure becomes a FileError naming it. */
export async function readBytes(file: string, cwd: string): Promise<Buffer> {
  try {
    return await readFile(resolve(cwd, file));
  } catch (e) {
    throw new FileError(file, e);
  }
}

/** Reads a file as UTF-8 text. */
export async function readText(file: string, cwd: string): Promise<string> {
  return (await readBytes(file, cwd)).toString('utf8');
}

/** Whether the bytes are PEM (text with a BEGIN line) rather than DER. */
export function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes).toString('latin1').includes('-----BEGIN ');
}

/**
 * Splits back-to-back DER values (`cat a.der b.der`) by their outer lengths. Returns
 * undefined when the bytes are not a clean sequence of DER SEQUENCEs.
 */
export function splitDer(bytes: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] !== 0x30 || at + 2 > bytes.length) return undefined;
    const first = bytes[at + 1]!;
    let length = first;
    let header = 2;
    if (first & 0x80) {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || at + 2 + n > bytes.length) return undefined;
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[at + 2 + i]!;
      header = 2 + n;
    }
    const end = at + header + length;
    if (end > bytes.length) return undefined;
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out.length > 0 ? out : undefined;
}

/** Parses certificates from PEM text (a bundle) or DER bytes (one or several back to back). */
export function certificatesFrom(bytes: Uint8Array): CertificateInfo[] {
  if (isPem(bytes)) return parseCertificates(Buffer.from(bytes).toString('utf8'));
  if (bytes.length === 0) return [];
  const parts = splitDer(bytes) ?? [bytes];
  // One unreadable part: its parser error (MALFORMED with the reason) is the message.
  return parts.map((der) => parseCertificate(der));
}

/** Reads a PEM bundle or DER file that must hold at least one certificate. */
export async function readCertificates(file: string, cwd: string, what: string): Promise<CertificateInfo[]> {
  const bytes = await readBytes(file, cwd);
  let certs: CertificateInfo[];
  try {
    certs = certificatesFrom(bytes);
  } catch (e) {
    throw new FileError(file, e);
  }
  if (certs.length === 0) {
    throw new FileError(
      file,
      new CliError(
        `holds no certificate (expected PEM "-----BEGIN CERTIFICATE-----" or a DER certificate for the ${what})`,
      ),
    );
  }
  return certs;
}

/**
 * Reads a private key as PEM: PEM files are returned as they are (core reads PKCS#8, SEC1
 * and PKCS#1), DER files (PKCS#8, SEC1 `openssl ec -outform DER`, PKCS#1 `openssl rsa
 * -outform DER`) are converted to PKCS#8 PEM so every consumer (core, node:tls) can use them.
 */
export async function readPrivateKeyPem(file: string, cwd: string): Promise<string> {
  const bytes = await readBytes(file, cwd);
  if (isPem(bytes)) return bytes.toString('utf8');
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      const key = createPrivateKey({ key: bytes, format: 'der', type });
      return key.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch {
      // Not this encoding: the next one, or the error below.
    }
  }
  throw new FileError(
    file,
    new CliError(
      bytes.length === 0
        ? 'is empty'
        : 'holds no private key (expected PEM "-----BEGIN PRIVATE KEY-----" or a DER PKCS#8, SEC1 or PKCS#1 key)',
    ),
  );
}
