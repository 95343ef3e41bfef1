import type { IncomingMessage } from 'node:http';
import { badRequest, bearerToken } from '../http/http.js';
import { ProtocolError } from '../http/protocol-error.js';
import { optionalString, requiredEnum, requiredString } from '../http/validate.js';
import { secretMatches } from '../lib/secret.js';
import type { RouteResult, ServiceContext } from '../service/service-context.js';

function requireAdmin(ctx: ServiceContext, req: IncomingMessage): void {
  const presented = bearerToken(req);
  if (presented === undefined || !secretMatches(presented, ctx.adminTokenHash))
    throw new ProtocolError(
      401,
      'INVALID_ADMIN_TOKEN',
      'Missing or invalid admin token: send Authorization: Bearer <admin token>.',
    );
}

/** `POST /api/v1/install-tokens`: mints an install token bound to one service. */
export async function handleInstallTokens(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  requireAdmin(ctx, req);
  const serviceName = requiredString(body, 'service_name');
  const serviceType = requiredEnum(body, 'service_type', ctx.settings.serviceTypes);
  const controllerName = optionalString(body, 'controller_name');
  const ttl = body['ttl_ms'];
  if (ttl !== undefined && ttl !== null && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0))
    throw badRequest('Invalid field: ttl_ms must be a positive number of milliseconds');
  const ttlMs = typeof ttl === 'number' ? ttl : ctx.settings.tokenTtlMs;
  const minted = ctx.mintInstallToken({ serviceName, serviceType, controllerName, ttlMs });
  await minted.stored;
  return {
    status: 201,
    body: { install_token: minted.token, expires_at: new Date(minted.expiresAt).toISOString() },
    committed: true,
  };
}

/** `POST /api/v1/admin/revoke`: revokes identities by `service_id` or `agent_id`. */
export async function handleRevoke(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  requireAdmin(ctx, req);
  const serviceId = optionalString(body, 'service_id');
  const agentId = optionalString(body, 'agent_id');
  const id = serviceId ?? agentId;
  if (id === undefined) throw badRequest('Missing required field: service_id');
  const revoked = await ctx.store.revoke(id);
  if (revoked.length === 0)
    throw new ProtocolError(
      404,
      'UNKNOWN_IDENTITY',
      'No registered identity has this service_id or agent_id.',
    );
  ctx.emit('revoked', { serviceIds: revoked });
  return { status: 200, body: { revoked }, committed: true };
}
