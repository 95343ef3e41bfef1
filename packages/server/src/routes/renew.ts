import type { IncomingMessage } from 'node:http';
import { requiredString } from '../http/validate.js';
import { clientIdentity, identityRevoked } from '../lib/client-identity.js';
import { issueClientCertificate, renewalHints } from '../lib/issue-client-certificate.js';
import { checkKeyAlgorithm, readCsr } from '../lib/read-csr.js';
import type { RouteResult, ServiceContext } from '../service/service-context.js';

/**
 * `POST /api/v1/renew` over mTLS: signs the CSR for the identity of the client certificate.
 * Any certificate of the identity that is still valid may renew, so a renewal whose
 * answer was lost can be retried with the previous certificate.
 */
export async function handleRenew(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const { identity } = await clientIdentity(ctx, req);
  const csr = await readCsr(requiredString(body, 'csr_pem', 'csr_pem', 65_536));
  checkKeyAlgorithm(csr, ctx.settings.keyAlgorithms);
  const subject = { commonName: identity.serviceName, organizationalUnit: identity.serviceType };
  const uris = [`urn:mtlskit:service:${identity.serviceId}`];

  const replacement = await ctx.hooks.replaceRenewal?.({ csrPem: csr.pem, subject, uris });
  if (replacement)
    return {
      status: 200,
      body: {
        certificate_pem: replacement.certificatePem,
        ca_pem: replacement.caPem,
        expires_at: replacement.expiresAt.toISOString(),
      },
      committed: false,
    };

  const issued = await issueClientCertificate(ctx, { csr: csr.pem, subject, uris });
  const c = issued.certificate;
  const notAfter = c.notAfter.getTime();
  // Atomic in the store: a revocation that landed while the certificate was signed wins.
  const added = await ctx.store.addCertificate(
    {
      fingerprint: c.fingerprintSha256,
      serviceId: identity.serviceId,
      notBefore: c.notBefore.getTime(),
      notAfter,
    },
    notAfter - ctx.now() + ctx.settings.retentionMs,
  );
  if (added !== 'ok') throw identityRevoked();
  ctx.emit('renewed', { serviceId: identity.serviceId, notAfter: c.notAfter });
  return {
    status: 200,
    body: {
      certificate_pem: issued.chainPem,
      ca_pem: ctx.caPem,
      expires_at: c.notAfter.toISOString(),
      ...renewalHints(ctx, c.notBefore, c.notAfter),
    },
    committed: true,
  };
}
