import { readFileSync } from 'node:fs';
import { loadWorkloadApi } from '@mtlskit/spiffe';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_PROTO } from '../../src/proto/workload-proto.js';

describe('workload.proto', () => {
  it('the embedded text is the .proto file', () => {
    const file = readFileSync(new URL('../../src/proto/workload.proto', import.meta.url), 'utf8');
    expect(WORKLOAD_PROTO).toBe(file);
  });

  it('defines SpiffeWorkloadAPI without a package, with the five methods', () => {
    const { service } = loadWorkloadApi();
    expect(
      Object.fromEntries(Object.entries(service).map(([k, v]) => [k, [v.path, v.responseStream]])),
    ).toEqual({
      FetchX509SVID: ['/SpiffeWorkloadAPI/FetchX509SVID', true],
      FetchX509Bundles: ['/SpiffeWorkloadAPI/FetchX509Bundles', true],
      FetchJWTSVID: ['/SpiffeWorkloadAPI/FetchJWTSVID', false],
      FetchJWTBundles: ['/SpiffeWorkloadAPI/FetchJWTBundles', true],
      ValidateJWTSVID: ['/SpiffeWorkloadAPI/ValidateJWTSVID', false],
    });
  });

  it('encodes X509SVIDResponse with the spec field numbers', () => {
    const { service } = loadWorkloadApi();
    const bytes = service.FetchX509SVID!.responseSerialize({
      svids: [
        {
          spiffe_id: 'spiffe://a/b',
          x509_svid: Buffer.from([1]),
          x509_svid_key: Buffer.from([2]),
          bundle: Buffer.from([3]),
          hint: 'h',
        },
      ],
      crl: [Buffer.from([4])],
      federated_bundles: { 'spiffe://c': Buffer.from([5]) },
    });
    // Field numbers of the spec: svids=1 {spiffe_id=1, x509_svid=2, x509_svid_key=3, bundle=4, hint=5}, crl=2, federated_bundles=3 (map).
    const hex = (t: string): string => Buffer.from(t).toString('hex');
    const svid = `0a0c${hex('spiffe://a/b')}120101` + '1a0102' + '220103' + '2a0168';
    const entry = `0a0a${hex('spiffe://c')}120105`;
    expect(bytes.toString('hex')).toBe(`0a1a${svid}120104` + `1a0f${entry}`);
    const back = service.FetchX509SVID!.responseDeserialize(bytes) as {
      federated_bundles: Record<string, Buffer>;
    };
    expect(back.federated_bundles['spiffe://c']).toEqual(Buffer.from([5]));
  });
});
