import type { IncomingMessage } from 'node:http';
import { exportPublicKeyPem, generateKeyPair } from '@mtlskit/core';
import type { BackendContext, RouteResult } from './backend-context.js';
import { clientIdentity } from './client-identity.js';
import { issueClientCertificate, renewAfterOf } from './issue-client-certificate.js';
import { readCsr } from './read-csr.js';
import { requiredString } from './validate.js';

/**
 * `POST /api/v1/renew` over mTLS: signs the CSR for the identity of the client certificate.
 * Any certificate of the identity that is still valid may renew, so a renewal whose
 * answer was lost can be retried with the previous certificate.
 */
export async function handleRenew(
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const { agent } = clientIdentity(ctx, req);
  const pem = requiredString(body, 'csr_pem');
  const csr = await readCsr(pem);
  const subject = { commonName: agent.serviceName, organizationalUnit: agent.serviceType };
  const uris = [`urn:mtlskit:service:${agent.serviceId}`];

  const bad = ctx.faults.takeBadRenewal();
  if (bad) {
    const ca = bad === 'foreign-ca' ? await ctx.foreignCa() : ctx.ca;
    const publicKey =
      bad === 'wrong-key'
        ? await exportPublicKeyPem(await generateKeyPair({ algorithm: ctx.settings.keyAlgorithm }))
        : undefined;
    const issued = await issueClientCertificate(ctx, {
      csr: csr.pem,
      ...(publicKey ? { publicKey } : {}),
      subject,
      uris,
      validity: bad === 'expired' ? 'expired' : 'current',
      ca,
    });
    return {
      status: 200,
      body: {
        certificate_pem: issued.certificatePem,
        ca_pem: ca.certificatePem,
        expires_at: issued.certificate.notAfter.toISOString(),
      },
      committed: false,
    };
  }

  const issued = await issueClientCertificate(ctx, { csr: csr.pem, subject, uris });
  const c = issued.certificate;
  // A revocation that landed while the certificate was being signed wins.
  if (agent.revoked) clientIdentity(ctx, req);
  ctx.state.addCertificate(agent, c.fingerprintSha256, c.notBefore, c.notAfter);
  agent.renewals += 1;
  const renewAfter = renewAfterOf(ctx, c.notBefore, c.notAfter);
  return {
    status: 200,
    body: {
      certificate_pem: issued.chainPem,
      ca_pem: ctx.caPem,
      expires_at: c.notAfter.toISOString(),
      ...(renewAfter ? { renew_after: renewAfter } : {}),
    },
    committed: true,
  };
}
