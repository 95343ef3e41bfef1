import { isMtlsError } from '@mtlskit/core';
import { resolveWorkloadApiAddress } from '@mtlskit/spiffe';
import { describe, expect, it } from 'vitest';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isMtlsError(e) ? e.code : 'not-mtls';
  }
  return undefined;
};

describe('resolveWorkloadApiAddress', () => {
  it.each([
    ['unix:///run/spire/agent.sock', 'unix:/run/spire/agent.sock', '/run/spire/agent.sock'],
    ['unix:/run/spire/agent.sock', 'unix:/run/spire/agent.sock', '/run/spire/agent.sock'],
    ['unix:relative/agent.sock', 'unix:relative/agent.sock', 'relative/agent.sock'],
    ['/run/spire/agent.sock', 'unix:///run/spire/agent.sock', '/run/spire/agent.sock'],
    ['tcp://127.0.0.1:8081', 'ipv4:127.0.0.1:8081', undefined],
    ['tcp://[::1]:8081', 'ipv6:[::1]:8081', undefined],
  ])('%s → %s', (address, target, socketPath) => {
    const r = resolveWorkloadApiAddress(address, {});
    expect(r.target).toBe(target);
    expect(r.socketPath).toBe(socketPath);
  });

  it('falls back to SPIFFE_ENDPOINT_SOCKET, the option wins', () => {
    const env = { SPIFFE_ENDPOINT_SOCKET: 'unix:///env.sock' };
    expect(resolveWorkloadApiAddress(undefined, env).socketPath).toBe('/env.sock');
    expect(resolveWorkloadApiAddress('unix:///opt.sock', env).socketPath).toBe('/opt.sock');
    expect(code(() => resolveWorkloadApiAddress(undefined, {}))).toBe('ERR_MTLS_SPIFFE_NO_ADDRESS');
  });

  it.each([
    'tcp://localhost:8081',
    'tcp://127.0.0.1',
    'tcp://127.0.0.1:8081/path',
    'tcp://user@127.0.0.1:8081',
    'unix://host/path',
    'unix:',
    'unix:///a.sock?x=1',
    'http://127.0.0.1:80',
    'agent.sock',
  ])('refuses %s with ERR_MTLS_SPIFFE_ADDRESS_INVALID', (address) => {
    expect(code(() => resolveWorkloadApiAddress(address, {}))).toBe('ERR_MTLS_SPIFFE_ADDRESS_INVALID');
  });
});
