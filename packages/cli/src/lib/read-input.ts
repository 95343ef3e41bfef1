import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CertificateInfo, parseCertificates } from '@mtlskit/core';
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

/** Reads a PEM bundle that must hold at least one certificate. */
export async function readCertificates(file: string, cwd: string, what: string): Promise<CertificateInfo[]> {
  const text = await readText(file, cwd);
  let certs: CertificateInfo[];
  try {
    certs = parseCertificates(text);
  } catch (e) {
    throw new FileError(file, e);
  }
  if (certs.length === 0) {
    throw new FileError(
      file,
      new CliError(`holds no certificate (expected PEM "-----BEGIN CERTIFICATE-----" for the ${what})`),
    );
  }
  return certs;
}
