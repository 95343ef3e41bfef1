import { MtlsError } from '../errors/mtls-error.js';

/** The most text or bytes a single-object parser accepts: a hostile huge input must fail fast. */
export const MAX_INPUT_BYTES = 512 * 1024;
/** The most text or bytes of one certificate (100,000 SANs fit; parsing is linear). */
export const MAX_CERTIFICATE_BYTES = 4 * 1024 * 1024;
/** The most text a bundle may hold (Mozilla's whole root store is about 220 KiB). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9 ]{1,64}$/;

/** The label of a `-----BEGIN X-----` / `-----END X-----` line whose text starts at `from`, or undefined. */
function labelAt(text: string, from: number): { label: string; next: number } | undefined {
  // A label is at most 64 characters: never look further than that for the closing dashes.
  const close = text.slice(from, from + 64 + DASHES.length).indexOf(DASHES);
  if (close < 0) return undefined;
  const label = text.slice(from, from + close);
  return LABEL.test(label) ? { label, next: from + close + DASHES.length } : undefined;
}

function base64ToBytes(b64: string): Uint8Array | undefined {
  const clean = b64.replace(/[\r\n\t ]+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64Lines(der: Uint8Array): string {
  let bin = '';
  for (const b of der) bin += String.fromCharCode(b);
  return btoa(bin).replace(/.{1,64}/g, '$&\n');
}

export function encodePem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${bytesToBase64Lines(der)}-----END ${label}-----\n`;
}

function checkSize(length: number, what: string, limit = MAX_INPUT_BYTES): void {
  if (length > limit) {
    throw new MtlsError(
      'ERR_MTLS_INPUT_TOO_LARGE',
      `The ${what} is ${length} bytes; mtlskit accepts at most ${limit}. Pass only the certificate, key or bundle itself.`,
    );
  }
}

/** Every PEM block in `text`, in order. Text between blocks is ignored, as OpenSSL does. */
export function decodePemBlocks(text: string, what = 'PEM input', limit = MAX_INPUT_BYTES): PemBlock[] {
  if (typeof text !== 'string')
    throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', `The ${what} must be a string.`);
  checkSize(text.length, what, limit);
  const blocks: PemBlock[] = [];
  // One pass with indexOf, never a backtracking regex over the whole text: a text of many
  // BEGIN lines without END lines must cost linear time (it took minutes with a regex).
  let pos = 0;
  for (;;) {
    const b = text.indexOf(BEGIN, pos);
    if (b < 0) break;
    const begin = labelAt(text, b + BEGIN.length);
    if (!begin) {
      pos = b + 1;
      continue;
    }
    const e = text.indexOf(END, begin.next);
    // No END after this BEGIN means none after any later BEGIN either.
    if (e < 0) break;
    const end = labelAt(text, e + END.length);
    const label = begin.label;
    if (!end || end.label !== label) {
      throw new MtlsError(
        'ERR_MTLS_PEM_MALFORMED',
        `The ${what} has a "BEGIN ${label}" closed by ${end ? `"END ${end.label}"` : 'a malformed END line'}.`,
      );
    }
    const body = text.slice(begin.next, e);
    pos = end.next;
    // Encapsulated headers (Proc-Type, DEK-Info) mark legacy encrypted keys: say so plainly.
    if (/^[ \t]*[A-Za-z-]+:/m.test(body)) {
      throw new MtlsError(
        'ERR_MTLS_KEY_ENCRYPTED',
        `The ${what} (${label}) is encrypted or has PEM headers; decrypt it first (openssl pkey -in key.pem -out plain.pem).`,
      );
    }
    const der = base64ToBytes(body);
    if (!der)
      throw new MtlsError(
        'ERR_MTLS_PEM_MALFORMED',
        `The ${what} has a ${label} block whose base64 is corrupt.`,
      );
    blocks.push({ label, der });
  }
  if (blocks.length === 0 && text.includes(BEGIN)) {
    throw new MtlsError(
      'ERR_MTLS_PEM_MALFORMED',
      `The ${what} has a BEGIN line without a matching END line (truncated?).`,
    );
  }
  return blocks;
}

/** Accepts PEM text, a DER byte array, or base64 DER; returns DER bytes and the PEM label if any. */
export function toDer(
  input: string | Uint8Array,
  expectedLabels: readonly string[],
  what: string,
  limit = MAX_INPUT_BYTES,
): PemBlock {
  if (input instanceof Uint8Array) {
    checkSize(input.length, what, limit);
    if (input.length === 0) throw new MtlsError('ERR_MTLS_DER_MALFORMED', `The ${what} is empty.`);
    // DER given as bytes may also be PEM text in a Buffer.
    if (input[0] === 0x2d /* '-' */)
      return toDer(new TextDecoder().decode(input), expectedLabels, what, limit);
    return { label: expectedLabels[0] ?? '', der: input };
  }
  if (typeof input !== 'string') {
    throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', `The ${what} must be PEM text or DER bytes.`);
  }
  const blocks = decodePemBlocks(input, what, limit);
  if (blocks.length === 0) {
    const der = base64ToBytes(input);
    if (der && input.trim().length > 0) return { label: expectedLabels[0] ?? '', der };
    throw new MtlsError(
      'ERR_MTLS_PEM_MALFORMED',
      `The ${what} holds no PEM block; expected ${expectedLabels.map((l) => `"-----BEGIN ${l}-----"`).join(' or ')}.`,
    );
  }
  const wanted = blocks.find((b) => expectedLabels.includes(b.label));
  if (!wanted) {
    throw new MtlsError(
      'ERR_MTLS_PEM_WRONG_TYPE',
      `The ${what} is a ${blocks.map((b) => b.label).join(', ')}, not a ${expectedLabels.join(' or ')}.`,
    );
  }
  return wanted;
}
