import type { IssuedCertificate, SubjectFields } from '@mtlskit/core';
import type { ServiceContext } from '../service/service-context.js';
import type { CertificateIssuer } from '../service/service-types.js';

/** Inputs of {@link issueClientCertificate}. */
export interface ClientCertificateInput {
  /** The CSR to certify; without it the issuer generates a key (allocation). */
  readonly csr?: string;
  readonly subject: SubjectFields;
  readonly uris?: readonly string[];
  /** Issuing CA; default the service's issuer. */
  readonly issuer?: CertificateIssuer;
}

const floorToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * Issues a clientAuth certificate dated by the service clock (X.509 keeps whole seconds,
 * so the dates are rounded down: `notBefore` is never in the service's future). The subject
 * and names come from the service, never from the CSR, so an agent cannot ask for names.
 */
export function issueClientCertificate(
  ctx: ServiceContext,
  input: ClientCertificateInput,
): Promise<IssuedCertificate> {
  const now = ctx.now();
  return (input.issuer ?? ctx.issuer).issue({
    ...(input.csr !== undefined ? { csr: input.csr } : {}),
    keyAlgorithm: ctx.settings.keyAlgorithm,
    profile: 'client',
    subject: input.subject,
    dnsNames: [],
    ipAddresses: [],
    uris: input.uris ?? [],
    emails: [],
    notBefore: new Date(floorToSecond(now - ctx.settings.backdateMs)),
    notAfter: new Date(floorToSecond(now + ctx.settings.certificateLifetimeMs)),
  });
}

/** The `renew_after` / `renew_before` hints for a certificate, those the service is configured to send. */
export function renewalHints(
  ctx: ServiceContext,
  notBefore: Date,
  notAfter: Date,
): { renew_after?: string; renew_before?: string } {
  const at = (f: number | undefined) =>
    f === undefined
      ? undefined
      : new Date(notBefore.getTime() + f * (notAfter.getTime() - notBefore.getTime())).toISOString();
  const after = at(ctx.settings.renewAfterFraction);
  const before = at(ctx.settings.renewBeforeFraction);
  return { ...(after ? { renew_after: after } : {}), ...(before ? { renew_before: before } : {}) };
}
