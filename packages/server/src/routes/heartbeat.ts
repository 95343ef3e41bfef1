import type { IncomingMessage } from 'node:http';
import { badRequest } from '../http/http.js';
import { requiredEnum, requiredObject, requiredString } from '../http/validate.js';
import { clientIdentity } from '../lib/client-identity.js';
import type { RouteResult, ServiceContext } from '../service/service-context.js';

const STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;

/** `POST /api/v1/agent/heartbeat` over mTLS: records the last heartbeat of the identity. */
export async function handleHeartbeat(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const { identity } = await clientIdentity(ctx, req);
  const agentId = requiredString(body, 'agent_id');
  const status = requiredEnum(body, 'status', STATUSES);
  const timestamp = body['timestamp'];
  if (timestamp === undefined || timestamp === null || timestamp === '')
    throw badRequest('Missing required field: timestamp');
  if (typeof timestamp !== 'string' && !(typeof timestamp === 'number' && Number.isFinite(timestamp)))
    throw badRequest('Invalid field: timestamp must be an ISO 8601 string or epoch milliseconds');
  if (typeof timestamp === 'string' && timestamp.length > 64)
    throw badRequest('Invalid field: timestamp is longer than 64 characters');
  const metricsIn = requiredObject(body, 'metrics');
  const metrics: { cpu_usage?: number; memory_usage?: number; disk_usage?: number } = {};
  for (const k of ['cpu_usage', 'memory_usage', 'disk_usage'] as const) {
    const v = metricsIn[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw badRequest(`Invalid field: metrics.${k} must be a non-negative number`);
    metrics[k] = v;
  }
  if (agentId !== identity.agentId)
    throw badRequest(
      'Invalid field: agent_id is not the agent id this certificate was registered with',
      'AGENT_ID_MISMATCH',
    );
  const receivedAt = ctx.now();
  await ctx.store.recordHeartbeat(identity.serviceId, {
    receivedAt,
    status,
    timestamp,
    metrics: Object.freeze(metrics),
  });
  ctx.emit('heartbeat', { serviceId: identity.serviceId, status });
  return {
    status: 200,
    body: { status: 'ok', service_id: identity.serviceId, received_at: new Date(receivedAt).toISOString() },
    committed: true,
  };
}
