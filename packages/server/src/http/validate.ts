import { badRequest } from './http.js';

/** A required non-empty string field; the 400 names the field (`Missing required field: x`). */
export function requiredString(
  body: Record<string, unknown>,
  name: string,
  path = name,
  maxLength = 4096,
): string {
  const v = body[name];
  if (v === undefined || v === null || v === '') throw badRequest(`Missing required field: ${path}`);
  if (typeof v !== 'string') throw badRequest(`Invalid field: ${path} must be a string`);
  if (v.length > maxLength) throw badRequest(`Invalid field: ${path} is longer than ${maxLength} characters`);
  return v;
}

/** An optional string field: absent, `null` and `''` all read as `undefined`. */
export function optionalString(
  body: Record<string, unknown>,
  name: string,
  path = name,
  maxLength = 4096,
): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  return requiredString(body, name, path, maxLength);
}

/** A required string that must be one of `allowed`. */
export function requiredEnum<T extends string>(
  body: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  path = name,
): T {
  const v = requiredString(body, name, path);
  if (!(allowed as readonly string[]).includes(v))
    throw badRequest(`Invalid field: ${path} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return v as T;
}

/** A required JSON object field. */
export function requiredObject(
  body: Record<string, unknown>,
  name: string,
  path = name,
): Record<string, unknown> {
  const v = body[name];
  if (v === undefined || v === null) throw badRequest(`Missing required field: ${path}`);
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`Invalid field: ${path} must be an object`);
  return v as Record<string, unknown>;
}
