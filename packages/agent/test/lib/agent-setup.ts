import { createAgent, MemoryStore, type MtlsAgent } from '@mtlskit/agent';
import { FakeClock } from '@mtlskit/core/testing';
import { type ProtocolServer, type ProtocolServerOptions, startProtocolServer } from './protocol-server.js';

export const TOKEN = 'tokid.very-secret-install-token-0001';
export const HOUR = 3_600_000;

export interface AgentSetup {
  clock: FakeClock;
  server: ProtocolServer;
  store: MemoryStore;
  agent: MtlsAgent;
}

/** A FakeClock agent against the node:https protocol server; everything is closed by `closeAll`. */
export function agentSetup(): {
  setup(opts?: {
    server?: ProtocolServerOptions;
    agent?: Partial<Parameters<typeof createAgent>[0]>;
    store?: MemoryStore;
  }): Promise<AgentSetup>;
  closeAll(): Promise<void>;
} {
  const open: { close(): Promise<void> }[] = [];
  return {
    async setup(opts = {}) {
      const clock = new FakeClock({ now: Date.now() });
      const server = await startProtocolServer({
        now: () => clock.now(),
        tokens: { [TOKEN]: 'svc' },
        lifetimeMs: HOUR,
        ...opts.server,
      });
      open.push(server);
      const store = opts.store ?? new MemoryStore();
      const agent = createAgent({
        backendUrl: server.url,
        trustAnchors: server.caPem,
        installToken: TOKEN,
        serviceName: 'svc',
        store,
        clock,
        heartbeat: { enabled: false },
        renewal: { jitter: 0, random: () => 0.5 },
        ...opts.agent,
      });
      open.push(agent);
      return { clock, server, store, agent };
    },
    async closeAll() {
      for (const o of open.splice(0).reverse()) await o.close();
    },
  };
}

/** Moves fake time to the planned renewal. */
export async function toNextRenewal(s: AgentSetup): Promise<void> {
  const at = s.agent.status().nextRenewalAt;
  if (at === undefined) throw new Error('no renewal planned');
  await s.clock.advanceAsync(Math.max(1, at.getTime() - s.clock.now()));
}
