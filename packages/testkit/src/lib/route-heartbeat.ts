import type { IncomingMessage } from 'node:http';
import type { BackendContext, RouteResult } from './backend-context.js';
import { clientIdentity } from './client-identity.js';
import { badRequest } from './http.js';
import { requiredEnum, requiredObject, requiredString } from './validate.js';

const STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;

/** `POST /api/v1/agent/heartbeat` over mTLS: records the last heartbeat of the identity. */
export async function handleHeartbeat(
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const { agent } = clientIdentity(ctx, req);
  const agentId = requiredString(body, 'agent_id');
  const status = requiredEnum(body, 'status', STATUSES);
  const timestamp = body['timestamp'];
  if (timestamp === undefined || timestamp === null || timestamp === '')
    throw badRequest('Missing required field: timestamp');
  if (typeof timestamp !== 'string' && !(typeof timestamp === 'number' && Number.isFinite(timestamp)))
    throw badRequest('Invalid field: timestamp must be an ISO 8601 string or epoch milliseconds');
  const metricsIn = requiredObject(body, 'metrics');
  const metrics: { cpu_usage?: number; memory_usage?: number; disk_usage?: number } = {};
  for (const k of ['cpu_usage', 'memory_usage', 'disk_usage'] as const) {
    const v = metricsIn[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw badRequest(`Invalid field: metrics.${k} must be a non-negative number`);
    metrics[k] = v;
  }
  if (agentId !== agent.agentId)
    throw badRequest(
      'Invalid field: agent_id is not the agent id this certificate was registered with',
      'AGENT_ID_MISMATCH',
    );
  const receivedAt = new Date(ctx.now());
  agent.heartbeats += 1;
  agent.lastHeartbeat = Object.freeze({ receivedAt, status, timestamp, metrics: Object.freeze(metrics) });
  return {
    status: 200,
    body: { status: 'ok', service_id: agent.serviceId, received_at: receivedAt.toISOString() },
    committed: true,
  };
}
