import {
  type CertificateAuthority,
  exportPublicKeyPem,
  generateKeyPair,
  type KeyAlgorithm,
} from '@mtlskit/core';
import type { RenewalReplacement } from '@mtlskit/server';
import type { BadRenewal } from '../backend/backend-faults.js';

const floorToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * The certificate a `faults.nextRenew(kind)` renewal answers with: for a key the agent
 * does not have, already expired, or signed by another CA with the same name.
 */
export async function issueBadRenewal(
  kind: BadRenewal,
  input: { csrPem: string; subject: { commonName: string; organizationalUnit: string }; uris: string[] },
  env: {
    ca: CertificateAuthority;
    foreignCa: () => Promise<CertificateAuthority>;
    keyAlgorithm: KeyAlgorithm;
    lifetimeMs: number;
    backdateMs: number;
    now: number;
  },
): Promise<RenewalReplacement> {
  const ca = kind === 'foreign-ca' ? await env.foreignCa() : env.ca;
  const publicKey =
    kind === 'wrong-key'
      ? await exportPublicKeyPem(await generateKeyPair({ algorithm: env.keyAlgorithm }))
      : undefined;
  let notBefore: number;
  let notAfter: number;
  if (kind === 'expired') {
    notAfter = floorToSecond(env.now - Math.max(env.lifetimeMs, 60_000));
    notBefore = notAfter - Math.max(floorToSecond(env.lifetimeMs), 1000);
  } else {
    notBefore = floorToSecond(env.now - env.backdateMs);
    notAfter = floorToSecond(env.now + env.lifetimeMs);
  }
  const issued = await ca.issue({
    ...(publicKey ? { publicKey } : { csr: input.csrPem }),
    profile: 'client',
    subject: input.subject,
    dnsNames: [],
    ipAddresses: [],
    uris: input.uris,
    emails: [],
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  return {
    certificatePem: issued.certificatePem,
    caPem: ca.certificatePem,
    expiresAt: issued.certificate.notAfter,
  };
}
