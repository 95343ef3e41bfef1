/**
 * @mtlskit/server throughput, all in this one process (client and servers share the
 * event loop and the machine's cores): registrations/s and renewals/s for one replica on
 * the memory store (the baseline), one replica on Redis, and three replicas on one Redis
 * (each with its own connection, calls spread round-robin); then the cost of one
 * heartbeat, over HTTPS and in the store alone. A real redis-server is started on a free
 * port. Ratios are against the memory baseline of the same run.
 */
import { Agent, request } from 'node:https';
import { pathToFileURL } from 'node:url';
import { createCertificateAuthority } from '../packages/core/src/ca/create-certificate-authority.js';
import { createCsr } from '../packages/core/src/csr/create-csr.js';
import { parseCsr } from '../packages/core/src/csr/parse-csr.js';
import { exportPrivateKeyPem } from '../packages/core/src/keys/export-key.js';
import { generateKeyPair } from '../packages/core/src/keys/generate-key-pair.js';
import { createMemoryStore } from '../packages/server/src/store/memory-store.js';
import { createRedisStore } from '../packages/server/src/store/redis-store.js';
import type { RegistrationStore } from '../packages/server/src/store/registration-store.js';
import { startRedisServer } from '../packages/server/test/support/redis-server.js';
import { type Replica, serverIdentity, startReplica } from '../packages/server/test/support/replica.js';
import type { BenchRow } from './lib/types.js';

const BENCH = 'server-throughput';
const REGISTRATIONS = 80;
const RENEWALS = 160;
const HEARTBEATS = 1000;
const CONCURRENCY = 16;

interface Key {
  keyPem: string;
  csrPem: string;
  idem: string;
}

/** One call; a keep-alive socket the server closed meanwhile is retried (every call here is safe to retry). */
async function post(
  url: string,
  body: unknown,
  opts: { ca: string; agent: Agent; headers?: Record<string, string> },
): Promise<{ status: number; json: Record<string, unknown> }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(url, body, opts);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (attempt >= 2 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw e;
    }
  }
}

function postOnce(
  url: string,
  body: unknown,
  opts: { ca: string; agent: Agent; headers?: Record<string, string> },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: opts.ca,
        agent: opts.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Runs `count` tasks with `CONCURRENCY` in flight; returns the calls per second. */
async function rate(count: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function keys(n: number): Promise<Key[]> {
  const out: Key[] = [];
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair();
    const csrPem = await createCsr({ key, subject: { commonName: `bench-${i}` } });
    const idem = Buffer.from((await parseCsr(csrPem)).spkiSha256, 'base64').toString('base64url');
    out.push({ keyPem: await exportPrivateKeyPem(key), csrPem, idem });
  }
  return out;
}

async function measure(replicas: Replica[], ca: string, pool: Key[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const enrolled: { cert: string; key: Key; agentId: string }[] = [];
  const tokens = await Promise.all(
    pool.map((_, i) => replicas[i % replicas.length]!.service.mintInstallToken({ serviceName: 'bench' })),
  );
  const registrations = await rate(pool.length, async (i) => {
    const key = pool[i]!;
    const r = await post(
      `${replicas[i % replicas.length]!.url}/api/v1/register`,
      {
        install_token: tokens[i]!.token,
        service_name: 'bench',
        service_type: 'agent',
        csr_pem: key.csrPem,
        metadata: { agent_id: `bench-${i}` },
      },
      { ca, agent, headers: { 'idempotency-key': key.idem } },
    );
    if (r.status !== 201) throw new Error(`register answered ${r.status} ${String(r.json['code'])}`);
    enrolled.push({ cert: String(r.json['certificate_pem']), key, agentId: `bench-${i}` });
  });
  agent.destroy();
  // One keep-alive agent per identity (its client certificate), made before timing starts.
  const agents = enrolled.map(
    (e) => new Agent({ keepAlive: true, maxSockets: 2, cert: e.cert, key: e.key.keyPem }),
  );
  const mtls = (i: number, path: string, body: unknown) =>
    post(`${replicas[i % replicas.length]!.url}${path}`, body, { ca, agent: agents[i % agents.length]! });
  await Promise.all(enrolled.map((e, i) => mtls(i, '/api/v1/agent/heartbeat', hb(e.agentId))));
  const renewals = await rate(RENEWALS, async (i) => {
    const r = await mtls(i, '/api/v1/renew', { csr_pem: enrolled[i % enrolled.length]!.key.csrPem });
    if (r.status !== 200) throw new Error(`renew answered ${r.status}`);
  });
  const heartbeats = await rate(HEARTBEATS, async (i) => {
    const r = await mtls(i, '/api/v1/agent/heartbeat', hb(enrolled[i % enrolled.length]!.agentId));
    if (r.status !== 200) throw new Error(`heartbeat answered ${r.status}`);
  });
  for (const a of agents) a.destroy();
  return { registrations, renewals, heartbeats };
}

const hb = (agentId: string) => ({
  agent_id: agentId,
  status: 'healthy',
  timestamp: Date.now(),
  metrics: { cpu_usage: 1, memory_usage: 2, disk_usage: 3 },
});

/** The store's share of a heartbeat: authenticate + record, sequentially, in µs per call. */
async function storeHeartbeatUs(store: RegistrationStore, n: number): Promise<number> {
  const now = Date.now();
  await store.putIdentity(
    {
      serviceId: 'svc_bench',
      agentId: 'bench',
      serviceName: 'bench',
      serviceType: 'agent',
      controllerName: undefined,
      metadata: {},
      mode: 'csr',
      registeredAt: now,
      revoked: false,
      renewals: 0,
      heartbeats: 0,
      lastHeartbeat: undefined,
      certificateFingerprint: 'AA:BB',
      notAfter: now + 3_600_000,
    },
    { fingerprint: 'AA:BB', serviceId: 'svc_bench', notBefore: now, notAfter: now + 3_600_000 },
    3_600_000,
  );
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const found = await store.authenticate('AA:BB');
    if (!found || found.identity.revoked) throw new Error('bench identity missing');
    await store.recordHeartbeat('svc_bench', {
      receivedAt: now,
      status: 'healthy',
      timestamp: now,
      metrics: {},
    });
  }
  return ((performance.now() - started) * 1000) / n;
}

export async function run(): Promise<BenchRow[]> {
  const redis = await startRedisServer();
  const ca = await createCertificateAuthority({ subject: { commonName: 'bench CA' } });
  const tls = await serverIdentity(ca);
  const pool = await keys(REGISTRATIONS * 3 + 40);
  const rows: BenchRow[] = [];
  try {
    // Warm-up (JIT, TLS session machinery), not counted: the baseline would pay for it otherwise.
    const warm = await startReplica(ca, tls);
    await measure([warm], ca.certificatePem, pool.slice(REGISTRATIONS * 3)).finally(() => warm.close());
    const setups: [string, () => Promise<Replica[]>][] = [
      ['1 replica, memory', async () => [await startReplica(ca, tls)]],
      [
        '1 replica, Redis',
        async () => [await startReplica(ca, tls, { redisUrl: redis.url, keyPrefix: 'b1:' })],
      ],
      [
        '3 replicas, Redis',
        () =>
          Promise.all([0, 1, 2].map(() => startReplica(ca, tls, { redisUrl: redis.url, keyPrefix: 'b3:' }))),
      ],
    ];
    const results: Record<string, { registrations: number; renewals: number; heartbeats: number }> = {};
    for (const [i, [name, start]] of setups.entries()) {
      const replicas = await start();
      try {
        results[name] = await measure(
          replicas,
          ca.certificatePem,
          pool.slice(i * REGISTRATIONS, (i + 1) * REGISTRATIONS),
        );
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    }
    const base = results['1 replica, memory']!;
    for (const [name, r] of Object.entries(results)) {
      rows.push({
        bench: BENCH,
        metric: `registrations/s, ${name}`,
        value: r.registrations,
        unit: '1/s',
        note: `${(r.registrations / base.registrations).toFixed(2)}× memory`,
      });
      rows.push({
        bench: BENCH,
        metric: `renewals/s, ${name}`,
        value: r.renewals,
        unit: '1/s',
        note: `${(r.renewals / base.renewals).toFixed(2)}× memory`,
      });
      rows.push({
        bench: BENCH,
        metric: `heartbeats/s, ${name}`,
        value: r.heartbeats,
        unit: '1/s',
        note: `${(r.heartbeats / base.heartbeats).toFixed(2)}× memory; ${CONCURRENCY} in flight`,
      });
    }
    const memory = createMemoryStore();
    const redisStore = createRedisStore({ url: redis.url, keyPrefix: 'bs:' });
    await redisStore.ready();
    try {
      const m = await storeHeartbeatUs(memory, 20_000);
      const rs = await storeHeartbeatUs(redisStore, 2_000);
      rows.push({
        bench: BENCH,
        metric: 'heartbeat store work, memory',
        value: m,
        unit: 'µs/call',
        note: 'authenticate + record, sequential',
      });
      rows.push({
        bench: BENCH,
        metric: 'heartbeat store work, Redis',
        value: rs,
        unit: 'µs/call',
        note: `${(rs / m).toFixed(0)}× memory: 2 round trips to a local Redis`,
      });
    } finally {
      await redisStore.close();
    }
  } finally {
    await redis.close();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(`${r.metric}: ${r.value.toFixed(2)} ${r.unit} ${r.note ?? ''}`);
}
