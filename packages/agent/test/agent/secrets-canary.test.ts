import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import {
  AGENT_CHANNELS,
  allocationEnrollment,
  createAgent,
  MemoryStore,
  type MtlsAgent,
} from '@mtlskit/agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordEvents } from '../lib/helpers.js';
import { startProtocolServer } from '../lib/protocol-server.js';

const SECRET = 'CANARY-SECRET-abcdef0123456789';
const TOKEN = `canaryid.${SECRET}`;
const ALLOC_TOKEN = `allocid.ALLOC-${SECRET}`;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  vi.restoreAllMocks();
});

function keyLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
}

function dump(value: unknown): string[] {
  const out = [inspect(value, { depth: 20, showHidden: false })];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // Circular values (undici errors) are still covered by inspect.
  }
  if (value instanceof Error) out.push(value.message, String(value.stack));
  return out;
}

describe('secrets never leak (canary)', () => {
  it('the install token and private keys never appear in logs, errors, inspect, JSON, events or diagnostics', async () => {
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const server = await startProtocolServer({
      tokens: { [TOKEN]: 'canary' },
      allocationTokens: { [ALLOC_TOKEN]: 'owner' },
    });
    open.push(server);
    // A careless backend that echoes the token back in its error messages.
    server.faults.set('register', [
      { status: 400, body: { error: 'bad', message: `token ${TOKEN} looks odd`, code: `weird ${TOKEN}` } },
    ]);
    const lines: string[] = [];
    const pinoLike = {
      level: 'debug',
      child: () => pinoLike,
      debug: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      info: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      warn: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      error: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
    };
    const consoleLike = {
      debug: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      info: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      warn: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
      error: (...a: unknown[]) => lines.push(...a.map((x) => inspect(x, { depth: 20 }))),
    };
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => {
      published.push(m);
    };
    for (const name of Object.values(AGENT_CHANNELS)) subscribe(name, onMessage);
    const agents: MtlsAgent[] = [];
    const outputs: string[] = [];
    try {
      const mk = (extra: Record<string, unknown>, logger: object): MtlsAgent => {
        const a = createAgent({
          backendUrl: server.url,
          trustAnchors: server.caPem,
          installToken: TOKEN,
          serviceName: 'canary',
          store: new MemoryStore(),
          heartbeat: { intervalMs: 200 },
          logger,
          ...extra,
        } as Parameters<typeof createAgent>[0]);
        open.push(a);
        agents.push(a);
        const events = recordEvents(a);
        a.on('error', () => undefined);
        // Every event payload is checked once the agent is done.
        open.push({ close: async () => void outputs.push(...events.flatMap((e) => dump(e.payload))) });
        return a;
      };
      // 1: the backend rejects with the echoed token; then succeeds.
      const a1 = mk({}, pinoLike);
      const err1 = await a1.start().catch((e: unknown) => e);
      outputs.push(...dump(err1));
      expect(err1).toMatchObject({ code: 'ERR_MTLS_BACKEND_REJECTED' });
      // 2: succeeds, heartbeats, renews (a second backend sharing the CA, as the token was used).
      const fresh = await startProtocolServer({ tokens: { [TOKEN]: 'canary' }, ca: server.ca });
      open.push(fresh);
      const a3 = mk({ backendUrl: fresh.url }, consoleLike);
      const creds = await a3.start();
      await a3.renewNow();
      await new Promise((r) => setTimeout(r, 500));
      // 3: wrong token, untrusted server, insecure URL, bad option: all errors.
      for (const extra of [
        { backendUrl: fresh.url, installToken: `canaryid.WRONG-${SECRET}` },
        {
          backendUrl: fresh.url,
          trustAnchors: (await (await import('@mtlskit/core')).createCertificateAuthority({})).certificatePem,
        },
      ]) {
        outputs.push(
          ...dump(
            await mk(extra, pinoLike)
              .start()
              .catch((e: unknown) => e),
          ),
        );
      }
      for (const extra of [{ backendUrl: 'http://127.0.0.1:1' }, { serviceName: '' }, { spkiPin: TOKEN }]) {
        try {
          mk(extra, pinoLike);
        } catch (e) {
          outputs.push(...dump(e));
        }
      }
      // 4: allocation hands the agent a key chosen by the backend.
      const a4 = mk({ enrollment: allocationEnrollment({ poolName: 'p', token: ALLOC_TOKEN }) }, pinoLike);
      const allocated = await a4.start();
      for (const a of agents) {
        outputs.push(
          ...dump(a),
          ...dump(a.status()),
          inspect(a.credentials()),
          JSON.stringify(a.credentials() ?? null),
        );
      }
      outputs.push(...dump(creds), ...dump(allocated), ...dump(published));
      outputs.push(...consoleSpies.flatMap((s) => s.mock.calls.map((c) => inspect(c, { depth: 20 }))));
      for (const a of agents) await a.close();
      for (const c of open.splice(0).reverse()) await c.close();

      const haystack = [...outputs, ...lines].join('\n');
      expect(lines.length).toBeGreaterThan(5);
      expect(published.length).toBeGreaterThan(3);
      expect(haystack).not.toContain(SECRET);
      expect(haystack).not.toContain('PRIVATE KEY-----');
      for (const key of [creds.privateKeyPem, allocated.privateKeyPem]) {
        for (const line of keyLines(key)) expect(haystack).not.toContain(line);
      }
      // The material is still usable by code that asks for it explicitly.
      expect(allocated.privateKeyPem).toContain('PRIVATE KEY');
      // Silent by default: the agents with a logger logged; console never saw anything.
      for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const name of Object.values(AGENT_CHANNELS)) unsubscribe(name, onMessage);
    }
  }, 30_000);

  it('redacts secrets even in what a logger receives as fields, console- and pino-shaped', async () => {
    const server = await startProtocolServer({ tokens: {} });
    open.push(server);
    server.faults.set('register', [
      { status: 503, body: { error: 'x', message: `echo ${TOKEN}`, code: 'x' } },
    ]);
    const consoleCalls: unknown[][] = [];
    const pinoCalls: unknown[][] = [];
    const mk = (logger: object) => {
      const a = createAgent({
        backendUrl: server.url,
        trustAnchors: server.caPem,
        installToken: TOKEN,
        serviceName: 'svc',
        store: new MemoryStore(),
        heartbeat: { enabled: false },
        logger,
      });
      open.push(a);
      return a;
    };
    const c = mk({ warn: (...a: unknown[]) => consoleCalls.push(a) });
    await new Promise((r) =>
      c
        .once('enrollment-failed', r)
        .start()
        .catch(() => undefined),
    );
    server.faults.set('register', [
      { status: 503, body: { error: 'x', message: `echo ${TOKEN}`, code: 'x' } },
    ]);
    const p = mk({ level: 'info', child: () => undefined, warn: (...a: unknown[]) => pinoCalls.push(a) });
    await new Promise((r) =>
      p
        .once('enrollment-failed', r)
        .start()
        .catch(() => undefined),
    );
    // console: (message, fields); pino: (fields, message).
    expect(typeof consoleCalls[0]![0]).toBe('string');
    expect(typeof pinoCalls[0]![1]).toBe('string');
    expect(typeof pinoCalls[0]![0]).toBe('object');
    const text = inspect([consoleCalls, pinoCalls], { depth: 20 });
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(SECRET);
  });

  it('redacts the secret half of the token when a backend echoes only that part', async () => {
    const server = await startProtocolServer({ tokens: { [TOKEN]: 'canary' } });
    open.push(server);
    server.faults.set('register', [
      { status: 400, body: { error: 'bad', message: `secret part ${SECRET} refused`, code: `E_${SECRET}` } },
    ]);
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => {
      published.push(m);
    };
    for (const name of Object.values(AGENT_CHANNELS)) subscribe(name, onMessage);
    const lines: string[] = [];
    try {
      const a = createAgent({
        backendUrl: server.url,
        trustAnchors: server.caPem,
        installToken: TOKEN,
        serviceName: 'canary',
        store: new MemoryStore(),
        heartbeat: { enabled: false },
        logger: { error: (...x: unknown[]) => lines.push(inspect(x, { depth: 20 })) },
      });
      open.push(a);
      const events = recordEvents(a);
      const err = await a.start().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_MTLS_BACKEND_REJECTED' });
      const haystack = [
        ...dump(err),
        ...dump(a.status()),
        ...dump(a),
        ...dump(published),
        ...events.flatMap((e) => dump(e.payload)),
        ...lines,
      ].join('\n');
      expect(haystack).toContain('[REDACTED]');
      expect(haystack).not.toContain(SECRET);
    } finally {
      for (const name of Object.values(AGENT_CHANNELS)) unsubscribe(name, onMessage);
    }
  });
});
