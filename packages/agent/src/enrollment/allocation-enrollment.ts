import { readFile } from 'node:fs/promises';
import { MtlsError, parseCertificates } from '@mtlskit/core';
import { requiredString } from '../lib/response-fields.js';
import type { EnrollmentContext, EnrollmentResult, EnrollmentStrategy } from './enrollment-strategy.js';

/** Options of {@link allocationEnrollment}. */
export interface AllocationEnrollmentOptions {
  /** Worker pool to allocate from (`poolName`). Required. */
  poolName: string;
  /** Namespace of the pool (`namespace`). Default `'default'`. */
  namespace?: string;
  /** The allocation bearer token `<id>.<secret>`. A secret. One of `token` / `tokenFile`. */
  token?: string;
  /** File holding the token, read at every allocation (so a rotated token is picked up). */
  tokenFile?: string;
  /**
   * `'allocate'` (default): `POST /api/v1/worker/allocate` `{poolName, namespace}`, whose
   * client certificate carries the allocation token (`CN=alloc:<token-id>`), as gateways
   * that check the token require; checked on every answer.
   * `'cert'`: the plain `POST /api/v1/cert` `{pools}` endpoint, whose certificate carries
   * the caller's identity instead (no CN check).
   */
  endpoint?: 'allocate' | 'cert';
  /** Overrides the endpoint's path. Default `'/api/v1/worker/allocate'` (`'/api/v1/cert'` for `endpoint: 'cert'`). */
  path?: string;
}

function decodePem(value: string, name: string): string {
  const text = value.trim().startsWith('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN')) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The allocation answer's "${name}" is neither PEM nor base64 PEM.`,
      {
        details: { reason: 'bad-field', field: name, call: 'allocate' },
      },
    );
  }
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Enrollment through a worker-allocation endpoint: a bearer token buys a client
 * certificate, its key and the CA (`caCert`, `clientCert`, `clientKey`, base64 PEM). With
 * `endpoint: 'allocate'` the certificate's CN must be `alloc:<token-id>`; an answer whose CN
 * does not carry the token fails with `ERR_MTLS_ALLOCATION_CN_MISMATCH` naming the
 * endpoint to use. Renewal allocates again.
 *
 * @example
 * ```ts
 * import { allocationEnrollment, createAgent } from '@mtlskit/agent';
 * const agent = createAgent({
 *   backendUrl: 'https://allocator.internal',
 *   trustAnchors: caPem,
 *   serviceName: 'worker',
 *   enrollment: allocationEnrollment({ poolName: 'gpu', namespace: 'ml', tokenFile: '/run/secrets/alloc' }),
 * });
 * ```
 */
export function allocationEnrollment(options: AllocationEnrollmentOptions): EnrollmentStrategy {
  if (typeof options?.poolName !== 'string' || options.poolName === '') {
    throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', 'allocationEnrollment needs a poolName.');
  }
  if ((options.token === undefined) === (options.tokenFile === undefined)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'allocationEnrollment needs exactly one of token or tokenFile.',
    );
  }
  const endpoint = options.endpoint ?? 'allocate';
  const path = options.path ?? (endpoint === 'allocate' ? '/api/v1/worker/allocate' : '/api/v1/cert');
  const namespace = options.namespace ?? 'default';

  const readToken = async (): Promise<string> => {
    if (options.token !== undefined) return options.token.trim();
    try {
      return (await readFile(options.tokenFile!, 'utf8')).trim();
    } catch (e) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        `Cannot read the allocation tokenFile ${options.tokenFile}; check the path and permissions.`,
        {
          cause: e,
        },
      );
    }
  };

  const allocate = async (ctx: EnrollmentContext): Promise<EnrollmentResult> => {
    const token = await readToken();
    ctx.addSecret(token);
    const body =
      endpoint === 'allocate' ? { poolName: options.poolName, namespace } : { pools: [options.poolName] };
    const res = await ctx.postJson(path, body, {
      call: 'allocate',
      headers: { authorization: `Bearer ${token}` },
    });
    const caCert = decodePem(requiredString(res.body, 'caCert', 'allocate'), 'caCert');
    const clientCert = decodePem(requiredString(res.body, 'clientCert', 'allocate'), 'clientCert');
    const clientKey = decodePem(requiredString(res.body, 'clientKey', 'allocate'), 'clientKey');
    ctx.addSecret(clientKey);
    if (endpoint === 'allocate') {
      const tokenId = token.split('.')[0] ?? '';
      const expected = `alloc:${tokenId}`;
      let cn: string | undefined;
      try {
        cn = parseCertificates(clientCert)[0]?.commonName;
      } catch (e) {
        throw new MtlsError(
          'ERR_MTLS_INVALID_RESPONSE',
          'The allocation answer\'s "clientCert" is not a valid certificate.',
          {
            cause: e,
            details: { reason: 'bad-certificate', call: 'allocate' },
          },
        );
      }
      if (cn !== expected) {
        const looksPlain = cn === undefined || !cn.startsWith('alloc:');
        throw new MtlsError(
          'ERR_MTLS_ALLOCATION_CN_MISMATCH',
          `The certificate from POST ${path} has CN "${cn ?? ''}", which does not carry the allocation token (expected CN=${expected}); ` +
            (looksPlain
              ? `that is what the plain /api/v1/cert endpoint returns, and gateways that check the allocation token reject it. Point the strategy at POST /api/v1/worker/allocate (endpoint: 'allocate', path unset), or use endpoint: 'cert' if your gateway accepts the caller's identity.`
              : 'it was allocated for another token: check that tokenFile holds the token this pool expects.'),
          { details: { commonName: cn, expected, endpoint: path } },
        );
      }
    }
    return {
      certificateChainPem: clientCert,
      privateKeyPem: clientKey,
      trustAnchorsPem: caCert,
      // The allocator's CA arrived over the channel verified against trustAnchors.
      issuerAnchorsPem: caCert,
    };
  };

  return { name: `allocation:${endpoint}`, enroll: allocate, renew: allocate };
}
