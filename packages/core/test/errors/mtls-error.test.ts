import { inspect } from 'node:util';
import { isMtlsError, MtlsError } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';

describe('MtlsError', () => {
  it('carries a stable code, a cause and details, and serialises without the cause', () => {
    const cause = new Error('low-level failure');
    const e = new MtlsError('ERR_MTLS_TEST', 'Something failed; do this.', {
      cause,
      details: { retryAfterMs: 5 },
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('MtlsError');
    expect(e.code).toBe('ERR_MTLS_TEST');
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: 'MtlsError',
      code: 'ERR_MTLS_TEST',
      message: 'Something failed; do this.',
      details: { retryAfterMs: 5 },
    });
    expect(inspect(e)).toContain('ERR_MTLS_TEST');
  });

  it('isMtlsError recognises errors from another copy of the package by brand', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('mtlskit.MtlsError')]: true,
      code: 'ERR_MTLS_X',
    });
    expect(isMtlsError(new MtlsError('ERR_MTLS_A', 'a'))).toBe(true);
    expect(isMtlsError(foreign)).toBe(true);
    expect(isMtlsError(new Error('plain'))).toBe(false);
    expect(isMtlsError(null)).toBe(false);
    expect(isMtlsError('ERR_MTLS_A')).toBe(false);
  });
});
