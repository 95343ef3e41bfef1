import { inspect } from 'node:util';
import { createCertificateAuthority, parseCertificate } from '@mtlskit/core';
import { FakeClock } from '@mtlskit/core/testing';
import { createWorkloadApiSource, type WorkloadApiSource } from '@mtlskit/spiffe';
import { createTestWorkloadApi, type TestWorkloadApi } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { collectErrors, waitFor } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(
  apiOptions: Parameters<typeof createTestWorkloadApi>[0] = {},
  sourceOptions: Parameters<typeof createWorkloadApiSource>[0] = {},
): Promise<{ api: TestWorkloadApi; source: WorkloadApiSource }> {
  const api = await createTestWorkloadApi(apiOptions);
  cleanup.push(() => api.close());
  const source = createWorkloadApiSource({
    socketPath: api.address,
    backoff: { initialDelayMs: 100, maxDelayMs: 500 },
    ...sourceOptions,
  });
  cleanup.push(() => source.close());
  return { api, source };
}

const serialOf = (pem: string): string => parseCertificate(pem).serialNumber.toUpperCase();

describe('createWorkloadApiSource', () => {
  it('serves the first SVID with its SPIFFE ID, bundle and the workload header on every call', async () => {
    const { api, source } = await setup();
    const c = await source.ready();
    expect(c.spiffeId).toBe('spiffe://example.org/workload');
    expect(c.trustDomain).toBe('example.org');
    expect(c.generation).toBe(1);
    expect(serialOf(c.certificateChainPem)).toBe(api.serials[0]);
    expect(c.trustAnchorsPem).toBe(api.bundlePem);
    expect(c.bundlePem).toBe(api.bundlePem);
    expect(source.current()).toBe(c);
    expect(api.calls.length).toBeGreaterThan(0);
    expect(api.calls.every((call) => call.header === 'true')).toBe(true);
  });

  it('finds the agent through SPIFFE_ENDPOINT_SOCKET without an option', async () => {
    const api = await createTestWorkloadApi();
    cleanup.push(() => api.close());
    const saved = process.env.SPIFFE_ENDPOINT_SOCKET;
    process.env.SPIFFE_ENDPOINT_SOCKET = `unix:${api.socketPath}`;
    try {
      const source = createWorkloadApiSource();
      cleanup.push(() => source.close());
      expect(source.address).toBe(`unix:${api.socketPath}`);
      expect((await source.ready()).spiffeId).toBe('spiffe://example.org/workload');
    } finally {
      if (saved === undefined) delete process.env.SPIFFE_ENDPOINT_SOCKET;
      else process.env.SPIFFE_ENDPOINT_SOCKET = saved;
    }
  });

  it('replaces the SVID on every rotation, generation by generation', async () => {
    const { api, source } = await setup();
    await source.ready();
    const seen: string[] = [];
    source.on('update', (c) => seen.push(serialOf(c.certificateChainPem)));
    for (let i = 0; i < 3; i++) {
      await api.rotate();
      await waitFor(() => seen.length === i + 1, 5000, `generation ${i + 2}`);
    }
    expect(seen).toEqual(api.serials.slice(1));
    expect(source.current().generation).toBe(4);
  });

  it('never shows the private key in JSON or util.inspect', async () => {
    const { source } = await setup();
    const c = await source.ready();
    const keyBody = c.privateKeyPem.split('\n')[1]!;
    expect(c.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(JSON.stringify(c)).not.toContain(keyBody);
    expect(inspect(c, { depth: 5, showHidden: false })).not.toContain(keyBody);
    expect(JSON.stringify(source.svids())).not.toContain(keyBody);
    expect(JSON.stringify({ ...c })).not.toContain(keyBody);
  });

  it('PermissionDenied at first: error events, then ready() resolves when an SVID arrives', async () => {
    const { api, source } = await setup({}, { backoff: { initialDelayMs: 200, maxDelayMs: 400 } });
    api.faults.permissionDenied = true;
    // The source connected before the fault was set only if the call raced: restart from scratch.
    await source.close();
    const late = createWorkloadApiSource({
      socketPath: api.address,
      backoff: { initialDelayMs: 200, maxDelayMs: 400 },
    });
    cleanup.push(() => late.close());
    const errors = collectErrors(late);
    const started = Date.now();
    let readyAt = 0;
    const ready = late.ready().then((c) => {
      readyAt = Date.now();
      return c;
    });
    setTimeout(() => {
      api.faults.permissionDenied = false;
    }, 2000);
    const c = await ready;
    expect(c.spiffeId).toBe('spiffe://example.org/workload');
    expect(readyAt - started).toBeGreaterThanOrEqual(1900);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['ERR_MTLS_SPIFFE_PERMISSION_DENIED']));
  });

  it('refuses an SVID whose key does not match and keeps the old one', async () => {
    const { api, source } = await setup();
    const good = await source.ready();
    const errors = collectErrors(source);
    const other = await api.ca.issue({ profile: 'both', uris: ['spiffe://example.org/workload'] });
    const unrelated = await api.ca.issue({ profile: 'both', uris: ['spiffe://example.org/workload'] });
    api.push([
      {
        spiffeId: 'spiffe://example.org/workload',
        certificateChainPem: other.chainPem,
        privateKeyPem: unrelated.privateKeyPem!,
      },
    ]);
    await waitFor(() => errors.length > 0, 5000, 'an error event');
    expect(errors[0]!.code).toBe('ERR_MTLS_KEY_MISMATCH');
    expect(source.current()).toBe(good);
    // A good one after the bad one is taken.
    await api.rotate();
    await waitFor(() => source.generation === 2, 5000, 'generation 2');
  });

  it('refuses an SVID outside its bundle (another CA) and keeps the old one', async () => {
    const { api, source } = await setup();
    const good = await source.ready();
    const errors = collectErrors(source);
    const rogue = await createCertificateAuthority({
      subject: { commonName: 'example.org test SPIFFE CA', organization: 'SPIFFE' },
    });
    const leaf = await rogue.issue({ profile: 'both', uris: ['spiffe://example.org/workload'] });
    api.push([
      {
        spiffeId: 'spiffe://example.org/workload',
        certificateChainPem: leaf.chainPem,
        privateKeyPem: leaf.privateKeyPem!,
      },
    ]);
    await waitFor(() => errors.length > 0, 5000, 'an error event');
    expect(errors[0]!.code).toBe('ERR_MTLS_CHAIN_INVALID');
    expect(errors[0]!.details?.chainCode).toBe('ISSUER_KEY_MISMATCH');
    expect(source.current()).toBe(good);
  });

  it.each([
    ['no URI SAN', { uris: [] as string[], dnsNames: ['localhost'] }, 'ERR_MTLS_SPIFFE_SVID_INVALID'],
    [
      'another SPIFFE ID than announced',
      { uris: ['spiffe://example.org/other'] },
      'ERR_MTLS_SPIFFE_SVID_INVALID',
    ],
    [
      'two URI SANs',
      { uris: ['spiffe://example.org/workload', 'spiffe://example.org/x'] },
      'ERR_MTLS_SPIFFE_SVID_INVALID',
    ],
    [
      'an expired certificate',
      {
        uris: ['spiffe://example.org/workload'],
        notBefore: new Date(Date.now() - 7200_000),
        notAfter: new Date(Date.now() - 3600_000),
      },
      'ERR_MTLS_CERT_EXPIRED',
    ],
  ])('refuses an SVID with %s', async (_name, issue, code) => {
    const { api, source } = await setup();
    const good = await source.ready();
    const errors = collectErrors(source);
    const leaf = await api.ca.issue({ profile: 'both', ...issue });
    api.push([
      {
        spiffeId: 'spiffe://example.org/workload',
        certificateChainPem: leaf.chainPem,
        privateKeyPem: leaf.privateKeyPem!,
      },
    ]);
    await waitFor(() => errors.length > 0, 5000, 'an error event');
    expect(errors[0]!.code).toBe(code);
    expect(source.current()).toBe(good);
  });

  it('pick chooses among several SVIDs; federated bundles join the trust anchors', async () => {
    const foreign = await createCertificateAuthority({ subject: { commonName: 'partner.org CA' } });
    const { source } = await setup(
      {
        spiffeIds: ['spiffe://example.org/a', 'spiffe://example.org/b'],
        federatedBundles: { 'partner.org': foreign.certificatePem },
      },
      { pick: (svids) => svids.find((s) => s.spiffeId.endsWith('/b')) },
    );
    const c = await source.ready();
    expect(c.spiffeId).toBe('spiffe://example.org/b');
    expect(source.svids().map((s) => s.spiffeId)).toEqual([
      'spiffe://example.org/a',
      'spiffe://example.org/b',
    ]);
    expect(c.federatedBundlesPem).toEqual({ 'partner.org': foreign.certificatePem });
    expect(c.trustAnchorsPem).toContain(foreign.certificatePem.trim());
    expect(c.trustAnchorsPem).toContain(c.bundlePem.trim());
  });

  it('reconnects after a dropped stream and a restarted server, serving the last SVID meanwhile', async () => {
    const { api, source } = await setup();
    const first = await source.ready();
    const errors = collectErrors(source);
    api.dropStreams();
    await waitFor(() => errors.length > 0 && api.openStreams === 1, 5000, 'a reconnect');
    expect(errors[0]!.code).toBe('ERR_MTLS_SPIFFE_UNAVAILABLE');
    expect(source.current()).toBe(first);
    await api.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(source.current()).toBe(first);
    await api.rotate(); // issued while down: served to the next stream
    await api.start();
    await waitFor(() => source.generation === 2, 10_000, 'the SVID issued during the outage');
    expect(serialOf(source.current().certificateChainPem)).toBe(api.serials[1]);
  });

  it('restarts a stream that stays quiet past the renewal point, reports expired when nothing comes', async () => {
    const clock = new FakeClock({ now: Date.now() });
    const { api, source } = await setup({ svidTtlMs: 3_600_000 }, { clock });
    const first = await source.ready();
    const errors = collectErrors(source);
    const expired: unknown[] = [];
    source.on('expired', (e) => expired.push(e));
    api.stallOpenStreams();
    await api.rotate(); // never reaches the silent stream
    await new Promise((r) => setTimeout(r, 200));
    expect(source.generation).toBe(1);
    const lifetime = first.notAfter.getTime() - first.notBefore.getTime();
    const staleAt = first.notBefore.getTime() + (lifetime * 2) / 3;
    clock.advance(staleAt - clock.now() + 1);
    await waitFor(() => source.generation === 2, 5000, 'the restarted stream');
    expect(errors.map((e) => e.code)).toContain('ERR_MTLS_SPIFFE_STREAM_STALE');

    // Now every stream stays silent: the source keeps retrying and finally reports expiry.
    const second = source.current();
    api.faults.stallNewStreams = true;
    api.stallOpenStreams();
    clock.advance(
      second.notBefore.getTime() +
        ((second.notAfter.getTime() - second.notBefore.getTime()) * 2) / 3 -
        clock.now() +
        1,
    );
    await waitFor(
      () => errors.filter((e) => e.code === 'ERR_MTLS_SPIFFE_STREAM_STALE').length >= 2,
      5000,
      'second stale',
    );
    await clock.advanceAsync(second.notAfter.getTime() - clock.now() + 1);
    expect(expired).toEqual([{ spiffeId: second.spiffeId, generation: 2, expiresAt: second.notAfter }]);
    expect(errors.map((e) => e.code)).toContain('ERR_MTLS_SPIFFE_SVID_EXPIRED');
    expect(source.current()).toBe(second);
  });

  it('retry waits are capped by the remaining SVID lifetime, not by maxDelay', async () => {
    const clock = new FakeClock({ now: Date.now() });
    const { api, source } = await setup(
      { svidTtlMs: 20_000 },
      { clock, backoff: { initialDelayMs: 600_000, maxDelayMs: 600_000 } },
    );
    const c = await source.ready();
    const errors = collectErrors(source);
    api.faults.permissionDenied = true;
    api.dropStreams();
    await waitFor(() => errors.length === 1, 5000, 'the dropped stream');
    // The only timer that short is the reconnect: at most a tenth of the time left.
    const remaining = c.notAfter.getTime() - clock.now();
    expect(clock.nextTimerDelay).toBeLessThanOrEqual(remaining * 0.1);
    api.faults.permissionDenied = false;
    clock.advance(clock.nextTimerDelay!);
    await waitFor(() => api.openStreams === 1, 5000, 'the reconnect');
    expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_SPIFFE_UNAVAILABLE']);
  });

  it('close() rejects a pending ready() and stops reconnecting', async () => {
    const api = await createTestWorkloadApi();
    cleanup.push(() => api.close());
    api.faults.permissionDenied = true;
    const source = createWorkloadApiSource({
      socketPath: api.address,
      backoff: { initialDelayMs: 50, maxDelayMs: 50 },
    });
    const ready = source.ready();
    await waitFor(() => api.calls.length >= 2, 5000, 'retries');
    await source.close();
    await expect(ready).rejects.toMatchObject({ code: 'ERR_MTLS_SOURCE_CLOSED' });
    const calls = api.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(api.calls.length).toBe(calls);
  });

  it('ready({ signal }) rejects on abort; a bad address throws at once', async () => {
    const { api, source } = await setup();
    await source.ready();
    api.faults.permissionDenied = true;
    const fresh = createWorkloadApiSource({ socketPath: api.address });
    cleanup.push(() => fresh.close());
    const controller = new AbortController();
    const p = fresh.ready({ signal: controller.signal });
    controller.abort();
    await expect(p).rejects.toMatchObject({ code: 'ERR_MTLS_ABORTED' });
    expect(() => createWorkloadApiSource({ socketPath: 'tcp://localhost:1' })).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_SPIFFE_ADDRESS_INVALID' }),
    );
    expect(() => fresh.current()).toThrowError(expect.objectContaining({ code: 'ERR_MTLS_NO_CREDENTIALS' }));
    await expect(source.ready()).resolves.toMatchObject({ generation: 1 });
  });
});
