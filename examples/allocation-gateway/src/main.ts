import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allocationEnrollment, createAgent, MemoryStore, type MtlsAgent } from '@mtlskit/agent';
import { runCli } from '@mtlskit/cli';
import { createCertificateAuthority, isMtlsError, MutableCredentialSource } from '@mtlskit/core';
import { attachCredentials, getPeerIdentity, type PeerIdentity } from '@mtlskit/node-adapter';
import { createTestBackend } from '@mtlskit/testkit';

/** Options of {@link runAllocationGateway}. */
export interface AllocationGatewayOptions {
  /** Worker pool the allocation is for. Default `'gpu'`. */
  poolName?: string;
  /** Namespace of the pool. Default `'ml'`. */
  namespace?: string;
  /** Receives one line per event, and doctor's report. Default: silent. */
  log?: (line: string) => void;
}

/** What `mtlskit doctor` said about one certificate. */
export interface DoctorReport {
  exitCode: number;
  /** The human-readable report, as a terminal shows it. */
  text: string;
  /** Finding codes from `--json`. */
  findings: Array<{ code: string; severity: string; message: string; fix: string }>;
}

/** What {@link runAllocationGateway} saw. */
export interface AllocationGatewayResult {
  ok: boolean;
  /** CN of the certificate from `POST /api/v1/worker/allocate`. */
  allocatedCommonName: string | undefined;
  /** The gateway's answer to the agent holding the allocated certificate. */
  allocatedResponse: { status: number; body: string } | undefined;
  /** CN of the certificate from the plain `POST /api/v1/cert`. */
  plainCommonName: string | undefined;
  /** How the call with the plain certificate failed (an `MtlsError` code when known). */
  plainRefusal: string | undefined;
  /** Peers the gateway refused, by CN. */
  refusedByGateway: string[];
  /** `mtlskit doctor --expect-cn 'alloc:*'` on the plain certificate. */
  doctorPlain: DoctorReport;
  /** The same on the allocated certificate. */
  doctorAllocated: DoctorReport;
}

async function doctor(dir: string, name: string, certPem: string, caPem: string): Promise<DoctorReport> {
  const cert = `${name}.crt`;
  const ca = `${name}-ca.crt`;
  await writeFile(join(dir, cert), certPem);
  await writeFile(join(dir, ca), caPem);
  const args = ['doctor', '--cert', cert, '--ca', ca, '--expect-cn', 'alloc:*'];
  const capture = () => {
    let text = '';
    return { io: { write: (s: string) => (text += s) }, text: () => text };
  };
  const human = capture();
  const humanErr = capture();
  const exitCode = await runCli(args, {
    stdout: human.io,
    stderr: humanErr.io,
    env: { NO_COLOR: '1' },
    cwd: dir,
  });
  const json = capture();
  await runCli([...args, '--json'], { stdout: json.io, stderr: capture().io, cwd: dir });
  const parsed = JSON.parse(json.text()) as { findings: DoctorReport['findings'] };
  return { exitCode, text: human.text() + humanErr.text(), findings: parsed.findings };
}

function describeFailure(e: unknown): string {
  // undici's fetch wraps the real reason in `cause`.
  const cause = (e as { cause?: unknown }).cause ?? e;
  if (isMtlsError(cause)) return cause.code;
  return (cause as { code?: string }).code ?? (cause as Error).message;
}

/**
 * The allocate flow of a worker gateway: an agent buys a client certificate with an
 * allocation token (`allocationEnrollment`, `POST /api/v1/worker/allocate`), whose CN is
 * `alloc:<token-id>`, and calls a gateway that admits only `alloc:*` common names. The
 * same token on the plain `POST /api/v1/cert` gives a certificate with the owner's name
 * as CN: the gateway refuses it, and `mtlskit doctor --expect-cn 'alloc:*'` says why.
 *
 * @example
 * ```ts
 * const result = await runAllocationGateway({ log: console.log });
 * console.log(result.doctorPlain.findings.map((f) => f.code)); // ['COMMON_NAME_MISMATCH']
 * ```
 */
export async function runAllocationGateway(
  options: AllocationGatewayOptions = {},
): Promise<AllocationGatewayResult> {
  const poolName = options.poolName ?? 'gpu';
  const namespace = options.namespace ?? 'ml';
  const log = options.log ?? (() => undefined);

  // One CA: the allocator signs worker certificates with it and the gateway's server
  // certificate comes from it too, so both sides trust the same anchor.
  const ca = await createCertificateAuthority({ subject: { commonName: 'allocator example CA' } });
  const backend = await createTestBackend({ ca });
  const token = backend.mintAllocationToken({ owner: 'team-ml', pools: [poolName] });
  const tokenId = token.split('.')[0];
  log(`allocator on ${backend.url}; allocation token ${tokenId}.… minted for team-ml (pool ${poolName})`);

  // The gateway: verified client certificates only, and only allocation identities.
  const gatewayIdentity = new MutableCredentialSource({ purpose: 'serverAuth' });
  const gatewayCert = await ca.issue({
    profile: 'server',
    subject: { commonName: 'gateway.local' },
    ipAddresses: ['127.0.0.1'],
    validityMs: 3_600_000,
  });
  await gatewayIdentity.set({
    certificateChainPem: gatewayCert.chainPem,
    privateKeyPem: gatewayCert.privateKeyPem!,
    trustAnchorsPem: ca.certificatePem,
  });
  const gateway = https.createServer((req, res) => {
    const peer = getPeerIdentity(req);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ allocation: peer?.commonName?.slice('alloc:'.length) ?? null, pool: poolName }));
  });
  const attached = attachCredentials(gateway, gatewayIdentity, {
    // createPeerAllowList matches exact names; a prefix rule is a one-line authorize hook.
    authorize: (peer: PeerIdentity) => peer.commonName?.startsWith('alloc:') === true,
  });
  const refusedByGateway: string[] = [];
  attached.on('unauthorized', ({ peer }: { peer: PeerIdentity }) => {
    refusedByGateway.push(peer.commonName ?? peer.subject);
    log(`gateway: refused a verified client with CN=${peer.commonName} (not an allocation)`);
  });
  await attached.ready();
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const gatewayUrl = `https://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1/jobs`;
  log(`gateway on ${gatewayUrl}, admits CN=alloc:* only`);

  const makeAgent = (endpoint: 'allocate' | 'cert'): MtlsAgent =>
    createAgent({
      backendUrl: backend.url,
      trustAnchors: backend.caPem,
      serviceName: 'ml-worker',
      store: new MemoryStore(),
      enrollment: allocationEnrollment({ poolName, namespace, token, endpoint }),
      heartbeat: { enabled: false },
    });
  const allocated = makeAgent('allocate');
  const plain = makeAgent('cert');
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-allocation-'));

  let allocatedResponse: AllocationGatewayResult['allocatedResponse'];
  let plainRefusal: string | undefined;
  let result: AllocationGatewayResult;
  try {
    const good = await allocated.start();
    const allocatedCommonName = backend.allocations.at(-1)?.commonName;
    log(`agent (allocate endpoint): got a certificate with CN=${allocatedCommonName}`);
    const res = await allocated.fetch(gatewayUrl);
    allocatedResponse = { status: res.status, body: await res.text() };
    log(`agent → gateway: ${allocatedResponse.status} ${allocatedResponse.body}`);

    const bad = await plain.start();
    const plainCommonName = backend.allocations.at(-1)?.commonName;
    log(`agent (plain /api/v1/cert): got a certificate with CN=${plainCommonName}`);
    try {
      const r = await plain.fetch(gatewayUrl);
      plainRefusal = `unexpected ${r.status}`;
      await r.text();
    } catch (e) {
      plainRefusal = describeFailure(e);
    }
    log(`agent → gateway with the plain certificate: ${plainRefusal}`);

    log(`\n$ mtlskit doctor --cert plain.crt --ca plain-ca.crt --expect-cn 'alloc:*'`);
    const doctorPlain = await doctor(dir, 'plain', bad.certificateChainPem, bad.trustAnchorsPem);
    log(`${doctorPlain.text.trimEnd()}\n(exit code ${doctorPlain.exitCode})`);
    log(`\n$ mtlskit doctor --cert allocated.crt --ca allocated-ca.crt --expect-cn 'alloc:*'`);
    const doctorAllocated = await doctor(dir, 'allocated', good.certificateChainPem, good.trustAnchorsPem);
    log(`${doctorAllocated.text.trimEnd()}\n(exit code ${doctorAllocated.exitCode})`);

    result = {
      ok: false,
      allocatedCommonName,
      allocatedResponse,
      plainCommonName,
      plainRefusal,
      refusedByGateway,
      doctorPlain,
      doctorAllocated,
    };
  } finally {
    await Promise.all([allocated.close(), plain.close()]);
    attached.detach();
    gateway.closeAllConnections();
    await new Promise((r) => gateway.close(r));
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
  result.ok =
    result.allocatedCommonName === `alloc:${tokenId}` &&
    result.allocatedResponse?.status === 200 &&
    result.plainCommonName === 'team-ml' &&
    result.plainRefusal !== undefined &&
    !result.plainRefusal.startsWith('unexpected') &&
    result.refusedByGateway.includes('team-ml') &&
    result.doctorPlain.exitCode === 1 &&
    result.doctorPlain.findings.some((f) => f.code === 'COMMON_NAME_MISMATCH') &&
    result.doctorAllocated.exitCode === 0;
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAllocationGateway({ log: (line) => console.log(line) }).then(
    (r) => {
      console.log(
        `\nallocated CN=${r.allocatedCommonName}: gateway answered ${r.allocatedResponse?.status}; plain CN=${r.plainCommonName}: refused (${r.plainRefusal}); doctor: ${r.doctorPlain.findings.map((f) => f.code).join(', ')}`,
      );
      console.log(r.ok ? 'OK' : 'FAILED');
      process.exitCode = r.ok ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`allocation-gateway failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
