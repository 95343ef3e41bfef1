import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolError } from './protocol-error.js';

/** Shorthand for the most common answer: 400 with a message that names the field. */
export function badRequest(message: string, code = 'VALIDATION_ERROR'): ProtocolError {
  return new ProtocolError(400, code, message);
}

/** Reads a request body up to `limit` bytes; a bigger body is a 413 (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(
          new ProtocolError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
      failed = true;
    });
  });
}

/** Parses a JSON object body; anything else is a 400 that says what was expected. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw badRequest('The request body is empty: send a JSON object.', 'INVALID_JSON');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON: send a JSON object.', 'INVALID_JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('The request body must be a JSON object.', 'INVALID_JSON');
  return value as Record<string, unknown>;
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** The bearer token of an `Authorization` header, or `undefined`. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m?.[1];
}
