import { MtlsError } from '@mtlskit/core';

/** Reads an optional string field of a JSON answer; a present non-string is an invalid response. */
export function optionalString(body: unknown, name: string, call: string): string | undefined {
  if (typeof body !== 'object' || body === null) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The backend's ${call} answer is not a JSON object; check backendUrl and the paths.`,
      {
        details: { reason: 'not-json', call },
      },
    );
  }
  const v = (body as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The backend's ${call} answer has a non-string "${name}".`,
      {
        details: { reason: 'bad-field', field: name, call },
      },
    );
  }
  return v;
}

/** Reads a required string field. */
export function requiredString(body: unknown, name: string, call: string): string {
  const v = optionalString(body, name, call);
  if (v === undefined || v.trim() === '') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The backend's ${call} answer has no "${name}"; the backend does not speak the expected protocol (check the enrollment strategy and paths).`,
      { details: { reason: 'missing-field', field: name, call } },
    );
  }
  return v;
}
