import { isIP } from 'node:net';
import { MtlsError } from '@mtlskit/core';

/** The environment variable the SPIFFE Workload Endpoint specification names. */
export const SPIFFE_ENDPOINT_SOCKET = 'SPIFFE_ENDPOINT_SOCKET';

/** A Workload API address, resolved. */
export interface WorkloadApiAddress {
  /** What was configured (option or environment). */
  readonly address: string;
  /** The grpc-js target, e.g. `unix:///run/spire/agent.sock` or `ipv4:127.0.0.1:8081`. */
  readonly target: string;
  /** The unix socket path, for `unix` addresses. */
  readonly socketPath: string | undefined;
}

function invalid(address: string, why: string): MtlsError {
  return new MtlsError(
    'ERR_MTLS_SPIFFE_ADDRESS_INVALID',
    `The Workload API address "${address}" is not valid: ${why}. Use unix:///path/to/agent.sock, unix:path or tcp://IP:PORT.`,
    { details: { address } },
  );
}

/**
 * Resolves the Workload API address from an option or, without one, from
 * `SPIFFE_ENDPOINT_SOCKET`, and converts it to a grpc-js target. Accepted forms (SPIFFE
 * Workload Endpoint spec): `unix:///abs/path`, `unix:/abs/path`, `unix:relative/path`,
 * `tcp://IP:PORT` (an IP literal, not a host name; grpc-js does not take `tcp://`), and, as
 * a convenience, a bare absolute path.
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_NO_ADDRESS` when neither is set,
 * `ERR_MTLS_SPIFFE_ADDRESS_INVALID` for any other form.
 * @example
 * ```ts
 * import { resolveWorkloadApiAddress } from '@mtlskit/spiffe';
 * resolveWorkloadApiAddress('tcp://127.0.0.1:8081').target; // 'ipv4:127.0.0.1:8081'
 * resolveWorkloadApiAddress('unix:///run/spire/sockets/agent.sock').socketPath; // '/run/spire/sockets/agent.sock'
 * ```
 */
export function resolveWorkloadApiAddress(
  address?: string,
  env: Record<string, string | undefined> = process.env,
): WorkloadApiAddress {
  const raw = address ?? env[SPIFFE_ENDPOINT_SOCKET];
  if (raw === undefined || raw.trim() === '') {
    throw new MtlsError(
      'ERR_MTLS_SPIFFE_NO_ADDRESS',
      'No Workload API address: pass socketPath or set SPIFFE_ENDPOINT_SOCKET (e.g. unix:///run/spire/sockets/agent.sock).',
    );
  }
  if (typeof raw !== 'string') throw invalid(String(raw), 'it must be a string');
  if (raw.startsWith('/')) return { address: raw, target: `unix://${raw}`, socketPath: raw };
  if (raw.startsWith('unix:')) {
    const rest = raw.slice('unix:'.length);
    if (/[?#]/.test(rest)) throw invalid(raw, 'a unix address takes no query or fragment');
    let path: string;
    if (rest.startsWith('//')) {
      if (!rest.startsWith('///')) throw invalid(raw, 'a unix URI takes no host (use unix:///path)');
      path = rest.slice(2);
    } else {
      path = rest;
    }
    if (path === '' || path === '/') throw invalid(raw, 'the socket path is empty');
    return { address: raw, target: `unix:${path}`, socketPath: path };
  }
  if (raw.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalid(raw, 'it is not a URI');
    }
    if (url.username !== '' || url.password !== '') throw invalid(raw, 'a tcp address takes no user info');
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
      throw invalid(raw, 'a tcp address takes no path, query or fragment');
    if (url.port === '') throw invalid(raw, 'a tcp address needs a port');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const family = isIP(host);
    if (family === 0) throw invalid(raw, 'a tcp address needs an IP literal, not a host name');
    return {
      address: raw,
      target: family === 4 ? `ipv4:${host}:${url.port}` : `ipv6:[${host}]:${url.port}`,
      socketPath: undefined,
    };
  }
  throw invalid(raw, 'the scheme must be unix or tcp');
}
