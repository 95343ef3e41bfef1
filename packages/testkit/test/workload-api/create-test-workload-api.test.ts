import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadWorkloadApi } from '@mtlskit/spiffe';
import { createTestWorkloadApi } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

type Message = { svids: { spiffe_id: string; x509_svid: Buffer; x509_svid_key: Buffer; bundle: Buffer }[] };

function firstMessage(address: string, header: string | undefined): Promise<Message> {
  const { Client } = loadWorkloadApi();
  const client = new Client(address, grpc.credentials.createInsecure());
  cleanup.push(() => client.close());
  const metadata = new grpc.Metadata();
  if (header !== undefined) metadata.set('workload.spiffe.io', header);
  const call = (
    client as unknown as Record<string, (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<Message>>
  ).FetchX509SVID!({}, metadata);
  return new Promise((resolve, reject) => {
    call.on('data', (m: Message) => {
      resolve(m);
      call.cancel();
    });
    call.on('error', reject);
  });
}

describe('createTestWorkloadApi', () => {
  it('serves X.509-SVIDs as concatenated DER with a PKCS#8 key, signed by its CA', async () => {
    const api = await createTestWorkloadApi();
    cleanup.push(() => api.close());
    expect(existsSync(api.socketPath)).toBe(true);
    const m = await firstMessage(api.address, 'true');
    const svid = m.svids[0]!;
    expect(svid.spiffe_id).toBe('spiffe://example.org/workload');
    const leaf = new X509Certificate(svid.x509_svid);
    expect(leaf.subjectAltName).toContain('URI:spiffe://example.org/workload');
    expect(leaf.serialNumber).toBe(api.serials[0]);
    expect(leaf.verify(new X509Certificate(svid.bundle).publicKey)).toBe(true);
    expect(svid.x509_svid_key[0]).toBe(0x30);
  });

  it('refuses calls without the workload.spiffe.io header (InvalidArgument), and PermissionDenied on request', async () => {
    const api = await createTestWorkloadApi();
    cleanup.push(() => api.close());
    await expect(firstMessage(api.address, undefined)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(firstMessage(api.address, 'false')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    api.faults.permissionDenied = true;
    await expect(firstMessage(api.address, 'true')).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    expect(api.calls.map((c) => c.header)).toEqual([undefined, 'false', 'true']);
  });

  it('rotates on a timer, removes its socket directory on close', async () => {
    const api = await createTestWorkloadApi({ rotateEveryMs: 100 });
    await new Promise((r) => setTimeout(r, 450));
    expect(api.generation).toBeGreaterThanOrEqual(3);
    expect(new Set(api.serials).size).toBe(api.serials.length);
    await api.close();
    expect(existsSync(api.socketPath)).toBe(false);
  });
});
