import { describe, expect, it } from 'vitest';
import { createLoadRun, type LoadResult } from '../support/load-harness.js';

/** Generations that were in service long enough (> settleMs before the end) for the peer to be asked. */
function settled(gens: LoadResult['clientGenerations'], endedAt: number, settleMs = 400): string[] {
  return gens.filter((g) => g.at < endedAt - settleMs).map((g) => g.serial);
}

function summary(r: LoadResult): string {
  return JSON.stringify({
    requests: r.requests,
    failed: r.failures.length,
    clientGenerations: r.clientGenerations.length,
    serverGenerations: r.serverGenerations.length,
    serverSawClient: r.serverSawClientSerials.length,
    undiciSawServer: r.undiciSawServerSerials.length,
    agentSawServer: r.agentSawServerSerials.length,
    sourceErrors: {
      server: r.sourceErrors.server.map((e) => e.code),
      client: r.sourceErrors.client.map((e) => e.code),
    },
  });
}

describe('Workload API sources under load', () => {
  it('SVIDs rotating every second for 20 s: 0 failed requests, the peers see every generation', {
    timeout: 60_000,
  }, async () => {
    const load = await createLoadRun(1000);
    try {
      const r = await load.run(20_000);
      console.log(`[spiffe rotation 20s] ${summary(r)}`);
      expect(r.failures).toEqual([]);
      expect(r.requests.undici).toBeGreaterThan(200);
      expect(r.requests.httpsAgent).toBeGreaterThan(200);
      // About 20 rotations on each side, all accepted by the sources.
      expect(r.clientGenerations.length).toBeGreaterThanOrEqual(18);
      expect(r.serverGenerations.length).toBeGreaterThanOrEqual(18);
      expect(r.sourceErrors).toEqual({ server: [], client: [] });
      // Every generation the sources served (bar one arriving in the last moments) reached the peer.
      const clientServed = settled(r.clientGenerations, r.endedAt);
      const serverServed = settled(r.serverGenerations, r.endedAt);
      expect(clientServed.filter((s) => !r.serverSawClientSerials.includes(s))).toEqual([]);
      expect(serverServed.filter((s) => !r.undiciSawServerSerials.includes(s))).toEqual([]);
      expect(serverServed.filter((s) => !r.agentSawServerSerials.includes(s))).toEqual([]);
      // And they are exactly what the Workload APIs issued.
      expect(r.clientGenerations.map((g) => g.serial)).toEqual(
        load.clientApi.serials
          .slice(load.clientApi.serials.indexOf(r.clientGenerations[0]!.serial))
          .slice(0, r.clientGenerations.length),
      );
    } finally {
      await load.close();
    }
  });

  it('stream dropped, then the Workload API server restarted mid-run: no failed request, last good SVID serves meanwhile', {
    timeout: 60_000,
  }, async () => {
    const load = await createLoadRun(1000);
    const { serverApi, clientApi, serverSource, clientSource } = load;
    const during: string[] = [];
    let stoppedAt: { server: number; client: number } | undefined;
    let stable = true;
    try {
      const r = await load.run(9000, async (t) => {
        if (t >= 2000 && !during.includes('drop')) {
          during.push('drop');
          serverApi.dropStreams();
          clientApi.dropStreams();
        }
        if (t >= 3500 && !during.includes('stop')) {
          during.push('stop');
          await Promise.all([serverApi.stop(), clientApi.stop()]);
          stoppedAt = { server: serverSource.generation, client: clientSource.generation };
        }
        if (stoppedAt !== undefined && !during.includes('start')) {
          if (serverSource.generation !== stoppedAt.server || clientSource.generation !== stoppedAt.client)
            stable = false;
          if (t >= 5500) {
            during.push('start');
            await Promise.all([serverApi.start(), clientApi.start()]);
          }
        }
      });
      console.log(`[spiffe drop+restart] ${summary(r)}`);
      expect(during).toEqual(['drop', 'stop', 'start']);
      expect(r.failures).toEqual([]);
      expect(stable).toBe(true);
      const codes = [...r.sourceErrors.server, ...r.sourceErrors.client].map((e) => e.code);
      expect(new Set(codes)).toEqual(new Set(['ERR_MTLS_SPIFFE_UNAVAILABLE']));
      // Reconnected: generations issued after the restart are in service and reached the peer.
      expect(clientSource.generation).toBeGreaterThan(stoppedAt!.client);
      expect(serverSource.generation).toBeGreaterThan(stoppedAt!.server);
      const lastClient = r.clientGenerations.filter((g) => g.at < r.endedAt - 400).at(-1)!.serial;
      expect(r.serverSawClientSerials).toContain(lastClient);
      expect(serverApi.openStreams).toBe(1);
      expect(clientApi.openStreams).toBe(1);
    } finally {
      await load.close();
    }
  });
});
