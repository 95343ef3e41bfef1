import { isMtlsError } from '@mtlskit/core';
import { parseSpiffeId, trustDomainName } from '@mtlskit/spiffe';
import { describe, expect, it } from 'vitest';

describe('parseSpiffeId', () => {
  it('splits trust domain and path', () => {
    expect(parseSpiffeId('spiffe://example.org/ns/prod/sa/billing')).toEqual({
      id: 'spiffe://example.org/ns/prod/sa/billing',
      trustDomain: 'example.org',
      path: '/ns/prod/sa/billing',
    });
    expect(parseSpiffeId('spiffe://example.org').path).toBe('');
    expect(trustDomainName('spiffe://example.org')).toBe('example.org');
    expect(trustDomainName('example.org')).toBe('example.org');
    expect(() => trustDomainName('example.org/ns')).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_SPIFFE_ID_INVALID' }),
    );
  });

  it.each([
    'SPIFFE://example.org/a',
    'https://example.org/a',
    'spiffe://Example.org/a',
    'spiffe://example.org:8080/a',
    'spiffe://user@example.org/a',
    'spiffe:///a',
    'spiffe://example.org/',
    'spiffe://example.org//a',
    'spiffe://example.org/a/../b',
    'spiffe://example.org/a?q',
    'spiffe://example.org/a#f',
  ])('refuses %s', (id) => {
    try {
      parseSpiffeId(id);
      expect.unreachable();
    } catch (e) {
      expect(isMtlsError(e) && e.code).toBe('ERR_MTLS_SPIFFE_ID_INVALID');
    }
  });
});
