import type { CertificateAuthority, IssuedCertificate, SubjectFields } from '@mtlskit/core';
import type { BackendContext } from './backend-context.js';

/** Inputs of {@link issueClientCertificate}. */
export interface ClientCertificateInput {
  /** The CSR to certify; without it the CA generates a key (allocation). */
  readonly csr?: string;
  /** A public key (SPKI PEM) to certify instead of the CSR's (the `wrong-key` fault). */
  readonly publicKey?: string;
  readonly subject: SubjectFields;
  readonly uris?: readonly string[];
  /** `'expired'` gives a certificate whose validity ended before now. */
  readonly validity?: 'current' | 'expired';
  /** Issuing CA; default the backend CA. */
  readonly ca?: CertificateAuthority;
}

const floorToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * Issues a clientAuth certificate dated by the backend clock (X.509 keeps whole seconds,
 * so the dates are rounded down: `notBefore` is never in the backend's future). The subject
 * and names come from the backend, never from the CSR, so an agent cannot ask for names.
 */
export function issueClientCertificate(
  ctx: BackendContext,
  input: ClientCertificateInput,
): Promise<IssuedCertificate> {
  const now = ctx.now();
  const lifetime = ctx.settings.certificateLifetimeMs;
  let notBefore: number;
  let notAfter: number;
  if (input.validity === 'expired') {
    notAfter = floorToSecond(now - Math.max(lifetime, 60_000));
    notBefore = notAfter - Math.max(floorToSecond(lifetime), 1000);
  } else {
    notBefore = floorToSecond(now - ctx.settings.backdateMs);
    notAfter = floorToSecond(now + lifetime);
  }
  return (input.ca ?? ctx.ca).issue({
    ...(input.csr !== undefined && input.publicKey === undefined ? { csr: input.csr } : {}),
    ...(input.publicKey !== undefined ? { publicKey: input.publicKey } : {}),
    keyAlgorithm: ctx.settings.keyAlgorithm,
    profile: 'client',
    subject: input.subject,
    dnsNames: [],
    ipAddresses: [],
    uris: input.uris ?? [],
    emails: [],
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
}

/** The `renew_after` hint for a certificate, when the backend is configured to send one. */
export function renewAfterOf(ctx: BackendContext, notBefore: Date, notAfter: Date): string | undefined {
  const f = ctx.settings.renewAfterFraction;
  if (f === undefined) return undefined;
  const t = notBefore.getTime() + f * (notAfter.getTime() - notBefore.getTime());
  return new Date(t).toISOString();
}
