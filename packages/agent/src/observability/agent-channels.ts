import { CHANNEL_NAMES } from '../lib/channels.js';

/**
 * Names of the `node:diagnostics_channel` channels the agent publishes on. Messages are
 * objects with a `phase` (`'start' | 'success' | 'failure'`), the strategy, the generation
 * and, on failure, `error` (the error's JSON form: code, message, details). They never hold
 * secrets.
 *
 * @example
 * ```ts
 * import * as diagnosticsChannel from 'node:diagnostics_channel';
 * import { AGENT_CHANNELS } from '@mtlskit/agent';
 * diagnosticsChannel.subscribe(AGENT_CHANNELS.renewal, (msg) => metrics.record(msg));
 * ```
 */
export const AGENT_CHANNELS: Readonly<{ enrollment: string; renewal: string; heartbeat: string }> =
  Object.freeze({
    ...CHANNEL_NAMES,
  });
