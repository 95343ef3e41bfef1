import * as diagnosticsChannel from 'node:diagnostics_channel';

/** Channel names the agent publishes on (documented in docs/agent.md). */
export const CHANNEL_NAMES = {
  enrollment: 'mtlskit:agent:enrollment',
  renewal: 'mtlskit:agent:renewal',
  heartbeat: 'mtlskit:agent:heartbeat',
} as const;

export const channels = {
  enrollment: diagnosticsChannel.channel(CHANNEL_NAMES.enrollment),
  renewal: diagnosticsChannel.channel(CHANNEL_NAMES.renewal),
  heartbeat: diagnosticsChannel.channel(CHANNEL_NAMES.heartbeat),
};
