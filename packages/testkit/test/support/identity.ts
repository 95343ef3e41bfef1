import { createCsr, exportPrivateKeyPem, generateKeyPair, type KeyPair, parseCsr } from '@mtlskit/core';

/** A key with its CSR and the protocol's Idempotency-Key for it. */
export interface TestIdentity {
  key: KeyPair;
  keyPem: string;
  csrPem: string;
  idempotencyKey: string;
}

/** A fresh P-256 key and CSR, as an agent makes before registering. */
export async function newIdentity(commonName = 'agent'): Promise<TestIdentity> {
  const key = await generateKeyPair();
  const csrPem = await createCsr({ key, subject: { commonName } });
  const csr = await parseCsr(csrPem);
  return {
    key,
    keyPem: await exportPrivateKeyPem(key),
    csrPem,
    idempotencyKey: csr.spkiSha256.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  };
}

/** A register body as an agent sends it. */
export function registerBody(
  installToken: string,
  id: Pick<TestIdentity, 'csrPem'>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    install_token: installToken,
    service_name: 'billing',
    service_type: 'agent',
    csr_pem: id.csrPem,
    metadata: {
      version: '1.0.0',
      environment: 'test',
      hostname: 'host-1',
      platform: 'linux',
      agent_id: 'agent-1',
    },
    ...overrides,
  };
}

/** A heartbeat body. */
export function heartbeatBody(
  agentId = 'agent-1',
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    agent_id: agentId,
    status: 'healthy',
    timestamp: new Date().toISOString(),
    metrics: { cpu_usage: 12.5, memory_usage: 40, disk_usage: 71 },
    ...overrides,
  };
}
