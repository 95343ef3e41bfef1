import type { IncomingMessage } from 'node:http';
import type { AllocationRecord } from '../backend/types.js';
import type { AllocationTokenEntry, BackendContext, RouteResult } from './backend-context.js';
import { ApiError, badRequest, bearerToken } from './http.js';
import { issueClientCertificate } from './issue-client-certificate.js';
import { requiredString } from './validate.js';

function allocationToken(
  ctx: BackendContext,
  req: IncomingMessage,
): { id: string; data: AllocationTokenEntry } {
  const presented = bearerToken(req);
  const found = presented === undefined ? undefined : ctx.allocationTokens.find(presented);
  if (!found)
    throw new ApiError(
      401,
      'INVALID_ALLOCATION_TOKEN',
      'Missing or invalid bearer token: send Authorization: Bearer <allocation token>.',
    );
  return found;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function allocate(
  ctx: BackendContext,
  route: 'allocate' | 'cert',
  token: { id: string; data: AllocationTokenEntry },
  commonName: string,
  pool: { poolName?: string; namespace?: string; pools: readonly string[] },
): Promise<RouteResult> {
  const issued = await issueClientCertificate(ctx, { subject: { commonName } });
  const record: AllocationRecord = Object.freeze({
    route,
    tokenId: token.id,
    owner: token.data.owner,
    commonName,
    poolName: pool.poolName,
    namespace: pool.namespace,
    pools: Object.freeze([...pool.pools]),
    fingerprint: issued.certificate.fingerprintSha256,
    notAfter: issued.certificate.notAfter,
  });
  ctx.state.allocations.push(record);
  return {
    status: 200,
    body: {
      caCert: b64(ctx.caPem),
      clientCert: b64(issued.certificatePem),
      clientKey: b64(issued.privateKeyPem!),
    },
    committed: true,
  };
}

function checkPools(token: AllocationTokenEntry, pools: readonly string[]): void {
  const allowed = token.pools;
  if (allowed === undefined) return;
  const denied = pools.find((p) => !allowed.includes(p));
  if (denied !== undefined)
    throw new ApiError(403, 'POOL_NOT_ALLOWED', `This token may not allocate from pool "${denied}".`);
}

/** `POST /api/v1/worker/allocate`: a fresh key and certificate with CN `alloc:<token id>`. */
export async function handleAllocate(
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const token = allocationToken(ctx, req);
  const poolName = requiredString(body, 'poolName');
  const namespace = requiredString(body, 'namespace');
  checkPools(token.data, [poolName]);
  return allocate(ctx, 'allocate', token, `alloc:${token.id}`, { poolName, namespace, pools: [poolName] });
}

/** `POST /api/v1/cert`: a fresh key and certificate whose CN is the token owner's name. */
export async function handleCert(
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const token = allocationToken(ctx, req);
  const pools = body['pools'];
  if (pools === undefined || pools === null) throw badRequest('Missing required field: pools');
  if (!Array.isArray(pools) || pools.length === 0 || !pools.every((p) => typeof p === 'string' && p !== ''))
    throw badRequest('Invalid field: pools must be a non-empty array of pool names');
  checkPools(token.data, pools as string[]);
  return allocate(ctx, 'cert', token, token.data.owner, { pools: pools as string[] });
}
