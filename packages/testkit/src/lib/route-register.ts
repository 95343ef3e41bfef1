import type { IncomingMessage } from 'node:http';
import { type CertificateInfo, type CsrInfo, parseCertificate } from '@mtlskit/core';
import type { BackendContext, RouteResult, TokenUse } from './backend-context.js';
import { ApiError, badRequest } from './http.js';
import { issueClientCertificate, renewAfterOf } from './issue-client-certificate.js';
import { readCsr } from './read-csr.js';
import { randomId } from './secret.js';
import { optionalString, requiredEnum, requiredObject, requiredString } from './validate.js';

const SERVICE_TYPES = ['agent', 'controller'] as const;

/** The one answer for unknown, malformed, expired and (by default) used tokens. */
export function invalidInstallToken(): ApiError {
  return new ApiError(401, 'INVALID_INSTALL_TOKEN', 'Invalid or expired install token');
}

const toBase64Url = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function readClientCertificate(ctx: BackendContext, pem: string): CertificateInfo {
  let cert: CertificateInfo;
  try {
    cert = parseCertificate(pem);
  } catch {
    throw badRequest('Invalid field: client_cert_pem is not a PEM certificate', 'INVALID_CERTIFICATE');
  }
  const now = ctx.now();
  if (cert.isCA)
    throw badRequest('Invalid field: client_cert_pem is a CA certificate', 'INVALID_CERTIFICATE');
  if (cert.hasExtendedKeyUsage && !cert.extendedKeyUsage.includes('clientAuth'))
    throw badRequest('Invalid field: client_cert_pem does not allow clientAuth', 'INVALID_CERTIFICATE');
  if (now < cert.notBefore.getTime() || now > cert.notAfter.getTime())
    throw badRequest(
      'Invalid field: client_cert_pem is not valid at the backend time',
      'INVALID_CERTIFICATE',
    );
  return cert;
}

/**
 * `POST /api/v1/register`: validates everything that needs no token first (all the async
 * work: CSR signature, certificate parsing), then checks and claims the token in one
 * synchronous step, so concurrent calls with one token cannot both win.
 */
export async function handleRegister(
  ctx: BackendContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const installToken = requiredString(body, 'install_token');
  const serviceName = requiredString(body, 'service_name');
  const serviceType = requiredEnum(body, 'service_type', SERVICE_TYPES);
  const controllerName = optionalString(body, 'controller_name');
  const csrPem = optionalString(body, 'csr_pem');
  const certPem = optionalString(body, 'client_cert_pem');
  if (csrPem === undefined && certPem === undefined) throw badRequest('Missing required field: csr_pem');
  if (csrPem !== undefined && certPem !== undefined)
    throw badRequest('Invalid request: send csr_pem or client_cert_pem, not both');
  const metadata = requiredObject(body, 'metadata');
  const agentId = requiredString(metadata, 'agent_id', 'metadata.agent_id');
  for (const k of ['version', 'environment', 'hostname', 'platform'])
    optionalString(metadata, k, `metadata.${k}`);
  const idempotencyKey = req.headers['idempotency-key'];
  if (typeof idempotencyKey !== 'string' || idempotencyKey === '')
    throw badRequest('Missing required header: Idempotency-Key', 'MISSING_IDEMPOTENCY_KEY');

  const csr = csrPem === undefined ? undefined : await readCsr(csrPem);
  const cert = certPem === undefined ? undefined : readClientCertificate(ctx, certPem);
  const spki = toBase64Url((csr ?? cert)!.spkiSha256);
  if (idempotencyKey !== spki)
    throw badRequest(
      'Idempotency-Key does not match the public key of the request: send base64url(SHA-256(SubjectPublicKeyInfo))',
      'IDEMPOTENCY_KEY_MISMATCH',
    );

  // From here to the claim below there must be no await: the check and the claim are one step.
  const found = ctx.installTokens.find(installToken);
  if (!found) throw invalidInstallToken();
  const token = found.data;
  const inScope =
    token.serviceName === serviceName &&
    token.serviceType === serviceType &&
    (token.controllerName === undefined || token.controllerName === controllerName);
  if (token.use) {
    if (token.use.spki !== spki) {
      if (ctx.settings.tokenReuse === 'invalid') throw invalidInstallToken();
      throw new ApiError(
        409,
        'TOKEN_ALREADY_USED',
        'This install token was already used by a different key: ask for a new install token.',
      );
    }
    if (!inScope) throw scopeMismatch(serviceName, serviceType);
    const outcome = await token.use.outcome;
    if (ctx.state.agents.get(outcome.serviceId)?.revoked)
      throw new ApiError(403, 'IDENTITY_REVOKED', 'The identity this install token registered was revoked.');
    return { status: 201, body: outcome.body, committed: true };
  }
  if (ctx.now() >= token.expiresAt) throw invalidInstallToken();
  if (!inScope) throw scopeMismatch(serviceName, serviceType);
  const use: TokenUse = { spki, outcome: Promise.resolve() as never, serviceId: undefined };
  token.use = use;
  use.outcome = commit(ctx, { serviceName, serviceType, controllerName, agentId, metadata, csr, cert }).then(
    (outcome) => {
      use.serviceId = outcome.serviceId;
      return outcome;
    },
    (e: unknown) => {
      // A failure before anything was stored gives the token back: the agent may retry.
      token.use = undefined;
      throw e;
    },
  );
  const outcome = await use.outcome;
  return { status: 201, body: outcome.body, committed: true };
}

function scopeMismatch(serviceName: string, serviceType: string): ApiError {
  return new ApiError(
    403,
    'TOKEN_SCOPE_MISMATCH',
    `This install token was not issued for service "${serviceName}" (${serviceType}): ask for a token for this service.`,
  );
}

async function commit(
  ctx: BackendContext,
  r: {
    serviceName: string;
    serviceType: 'agent' | 'controller';
    controllerName: string | undefined;
    agentId: string;
    metadata: Record<string, unknown>;
    csr: CsrInfo | undefined;
    cert: CertificateInfo | undefined;
  },
): Promise<{ serviceId: string; body: Record<string, unknown> }> {
  const serviceId = `svc_${randomId(8)}`;
  const issued = r.csr
    ? await issueClientCertificate(ctx, {
        csr: r.csr.pem,
        subject: { commonName: r.serviceName, organizationalUnit: r.serviceType },
        uris: [`urn:mtlskit:service:${serviceId}`],
      })
    : undefined;
  const certificate = issued?.certificate ?? r.cert!;
  const agent = ctx.state.addAgent({
    serviceId,
    agentId: r.agentId,
    serviceName: r.serviceName,
    serviceType: r.serviceType,
    controllerName: r.controllerName,
    metadata: { ...r.metadata },
    mode: r.csr ? 'csr' : 'certificate',
    registeredAt: ctx.now(),
  });
  ctx.state.addCertificate(agent, certificate.fingerprintSha256, certificate.notBefore, certificate.notAfter);
  ctx.state.registrations += 1;
  const renewAfter = r.csr ? renewAfterOf(ctx, certificate.notBefore, certificate.notAfter) : undefined;
  const body: Record<string, unknown> = {
    service_id: serviceId,
    message: 'Service registered successfully',
    ...(issued ? { certificate_pem: issued.chainPem } : {}),
    ca_pem: ctx.caPem,
    expires_at: certificate.notAfter.toISOString(),
    ...(renewAfter ? { renew_after: renewAfter } : {}),
  };
  return { serviceId, body };
}
