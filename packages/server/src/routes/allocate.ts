import type { IncomingMessage } from 'node:http';
import { badRequest, bearerToken } from '../http/http.js';
import { ProtocolError } from '../http/protocol-error.js';
import { requiredString } from '../http/validate.js';
import { issueClientCertificate } from '../lib/issue-client-certificate.js';
import { secretMatches } from '../lib/secret.js';
import { splitToken } from '../lib/token-parts.js';
import type { RouteResult, ServiceContext } from '../service/service-context.js';
import type { StoredAllocationToken } from '../store/registration-store.js';

async function allocationToken(ctx: ServiceContext, req: IncomingMessage): Promise<StoredAllocationToken> {
  const presented = bearerToken(req);
  const parts = presented === undefined ? undefined : splitToken(presented);
  const found = parts && parts.id.length <= 256 ? await ctx.store.getAllocationToken(parts.id) : undefined;
  if (!secretMatches(parts?.secret ?? '', found?.secretHash) || !found)
    throw new ProtocolError(
      401,
      'INVALID_ALLOCATION_TOKEN',
      'Missing or invalid bearer token: send Authorization: Bearer <allocation token>.',
    );
  return found;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function allocate(
  ctx: ServiceContext,
  route: 'allocate' | 'cert',
  token: StoredAllocationToken,
  commonName: string,
  pool: { poolName?: string; namespace?: string; pools: readonly string[] },
): Promise<RouteResult> {
  const issued = await issueClientCertificate(ctx, { subject: { commonName } });
  ctx.emit(
    'allocated',
    Object.freeze({
      route,
      tokenId: token.id,
      owner: token.owner,
      commonName,
      poolName: pool.poolName,
      namespace: pool.namespace,
      pools: Object.freeze([...pool.pools]),
      fingerprint: issued.certificate.fingerprintSha256,
      notAfter: issued.certificate.notAfter,
    }),
  );
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

function checkPools(token: StoredAllocationToken, pools: readonly string[]): void {
  const allowed = token.pools;
  if (allowed === undefined) return;
  const denied = pools.find((p) => !allowed.includes(p));
  if (denied !== undefined)
    throw new ProtocolError(403, 'POOL_NOT_ALLOWED', `This token may not allocate from pool "${denied}".`);
}

/** `POST /api/v1/worker/allocate`: a fresh key and certificate with CN `alloc:<token id>`. */
export async function handleAllocate(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const token = await allocationToken(ctx, req);
  const poolName = requiredString(body, 'poolName');
  const namespace = requiredString(body, 'namespace');
  checkPools(token, [poolName]);
  return allocate(ctx, 'allocate', token, `alloc:${token.id}`, { poolName, namespace, pools: [poolName] });
}

/** `POST /api/v1/cert`: a fresh key and certificate whose CN is the token owner's name. */
export async function handleCert(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const token = await allocationToken(ctx, req);
  const pools = body['pools'];
  if (pools === undefined || pools === null) throw badRequest('Missing required field: pools');
  if (!Array.isArray(pools) || pools.length === 0 || !pools.every((p) => typeof p === 'string' && p !== ''))
    throw badRequest('Invalid field: pools must be a non-empty array of pool names');
  checkPools(token, pools as string[]);
  return allocate(ctx, 'cert', token, token.owner, { pools: pools as string[] });
}
