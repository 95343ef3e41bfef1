import { createCertificateAuthority } from '@mtlskit/core';
import { optionalString, requiredString } from '../lib/response-fields.js';
import type { EnrollmentContext, EnrollmentResult, EnrollmentStrategy } from './enrollment-strategy.js';

/** Options of {@link installTokenEnrollment}. */
export interface InstallTokenEnrollmentOptions {
  /**
   * `'csr'` (default): send `csr_pem` and use the certificate the backend signs.
   * `'client-cert'`: send `client_cert_pem`, a certificate the agent issues itself (for
   * backends that register and pin an agent-supplied certificate); the backend's
   * `certificate_pem` still wins when it sends one. Renewals send a CSR in both modes, as
   * the protocol's renew call defines.
   */
  mode?: 'csr' | 'client-cert';
  /** Register path. Default `'/api/v1/register'`. */
  registerPath?: string;
  /** Renew path. Default `'/api/v1/renew'`. */
  renewPath?: string;
  /** Lifetime of self-issued certificates in `'client-cert'` mode, ms. Default 90 days. */
  selfIssuedValidityMs?: number;
}

async function selfIssue(
  ctx: EnrollmentContext,
  validityMs: number,
): Promise<{ chain: string; anchor: string }> {
  // A throwaway issuer: the backend pins the leaf it registered, the issuer key is dropped.
  const ca = await createCertificateAuthority({
    subject: { commonName: `${ctx.serviceName} self-issued` },
    validityMs: validityMs + 60_000,
    notBefore: new Date(ctx.clock.now() - 60_000),
  });
  const leaf = await ca.issue({
    csr: ctx.csrPem,
    profile: 'client',
    notBefore: new Date(ctx.clock.now() - 60_000),
    notAfter: new Date(ctx.clock.now() + validityMs),
  });
  return { chain: leaf.chainPem, anchor: ca.certificatePem };
}

function resultOf(body: unknown, call: string, own?: { chain: string; anchor: string }): EnrollmentResult {
  const certificate =
    own === undefined
      ? requiredString(body, 'certificate_pem', call)
      : optionalString(body, 'certificate_pem', call);
  const ca = optionalString(body, 'ca_pem', call);
  return {
    certificateChainPem: certificate ?? own!.chain,
    trustAnchorsPem: ca,
    issuerAnchorsPem: certificate === undefined ? own?.anchor : undefined,
    serviceId: optionalString(body, 'service_id', call),
    expiresAt: optionalString(body, 'expires_at', call),
    renewAfter: optionalString(body, 'renew_after', call),
  };
}

/**
 * The protocol's install-token enrollment: `POST /api/v1/register` with the install token,
 * the service's name and type, a CSR (or a self-issued `client_cert_pem`), metadata and an
 * `Idempotency-Key` derived from the public key; renewals `POST /api/v1/renew` `{csr_pem}`
 * over mTLS with the current certificate. The default strategy of {@link createAgent}.
 *
 * @example
 * ```ts
 * import { createAgent, installTokenEnrollment } from '@mtlskit/agent';
 * const agent = createAgent({
 *   backendUrl: 'https://backend.internal:8443',
 *   trustAnchors: caPem,
 *   installTokenFile: '/etc/myagent/install-token',
 *   serviceName: 'billing-worker',
 *   stateDir: '/var/lib/myagent',
 *   enrollment: installTokenEnrollment({ mode: 'csr' }),
 * });
 * ```
 */
export function installTokenEnrollment(options: InstallTokenEnrollmentOptions = {}): EnrollmentStrategy {
  const mode = options.mode ?? 'csr';
  const registerPath = options.registerPath ?? '/api/v1/register';
  const renewPath = options.renewPath ?? '/api/v1/renew';
  const validityMs = options.selfIssuedValidityMs ?? 90 * 86_400_000;
  return {
    name: `install-token:${mode}`,
    async enroll(ctx) {
      const own = mode === 'client-cert' ? await selfIssue(ctx, validityMs) : undefined;
      const body: Record<string, unknown> = {
        install_token: await ctx.installToken(),
        service_name: ctx.serviceName,
        service_type: ctx.serviceType,
        ...(ctx.controllerName === undefined ? {} : { controller_name: ctx.controllerName }),
        ...(own === undefined ? { csr_pem: ctx.csrPem } : { client_cert_pem: own.chain }),
        metadata: ctx.metadata,
      };
      const res = await ctx.postJson(registerPath, body, {
        call: 'register',
        headers: { 'idempotency-key': ctx.idempotencyKey },
      });
      return resultOf(res.body, 'register', own);
    },
    async renew(ctx) {
      // The protocol's renew takes a CSR in both modes: the backend signs the new key.
      const res = await ctx.postJson(
        renewPath,
        { csr_pem: ctx.csrPem },
        { call: 'renew', headers: { 'idempotency-key': ctx.idempotencyKey } },
      );
      return resultOf(res.body, 'renew');
    },
  };
}
