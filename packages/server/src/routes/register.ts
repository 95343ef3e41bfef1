import type { IncomingMessage } from 'node:http';
import { type CertificateInfo, type CsrInfo, parseCertificate } from '@mtlskit/core';
import { badRequest } from '../http/http.js';
import { ProtocolError } from '../http/protocol-error.js';
import { optionalString, requiredEnum, requiredObject, requiredString } from '../http/validate.js';
import { identityRevoked } from '../lib/client-identity.js';
import { issueClientCertificate, renewalHints } from '../lib/issue-client-certificate.js';
import { checkKeyAlgorithm, readCsr } from '../lib/read-csr.js';
import { randomId, secretMatches } from '../lib/secret.js';
import { splitToken } from '../lib/token-parts.js';
import type { RouteResult, ServiceContext } from '../service/service-context.js';
import type { TokenClaim } from '../store/registration-store.js';

const TOKEN_ID = /^[0-9a-f]{16}$/;

/** The one answer for unknown, malformed, expired and (under the `invalid` policy) used tokens. */
function invalidInstallToken(): ProtocolError {
  return new ProtocolError(401, 'INVALID_INSTALL_TOKEN', 'Invalid or expired install token');
}

function scopeMismatch(serviceName: string, serviceType: string): ProtocolError {
  return new ProtocolError(
    403,
    'TOKEN_SCOPE_MISMATCH',
    `This install token was not issued for service "${serviceName}" (${serviceType}): ask for a token for this service.`,
  );
}

function readClientCertificate(ctx: ServiceContext, pem: string): CertificateInfo {
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

interface RegisterInput {
  serviceName: string;
  serviceType: 'agent' | 'controller';
  controllerName: string | undefined;
  agentId: string;
  metadata: Record<string, unknown>;
  csr: CsrInfo | undefined;
  cert: CertificateInfo | undefined;
}

function readInput(ctx: ServiceContext, body: Record<string, unknown>) {
  const installToken = requiredString(body, 'install_token');
  const serviceName = requiredString(body, 'service_name');
  const serviceType = requiredEnum(body, 'service_type', ctx.settings.serviceTypes);
  const controllerName = optionalString(body, 'controller_name');
  const csrPem = optionalString(body, 'csr_pem', 'csr_pem', 65_536);
  const certPem = optionalString(body, 'client_cert_pem', 'client_cert_pem', 65_536);
  if (csrPem === undefined && certPem === undefined) throw badRequest('Missing required field: csr_pem');
  if (csrPem !== undefined && certPem !== undefined)
    throw badRequest('Invalid request: send csr_pem or client_cert_pem, not both');
  if (certPem !== undefined && !ctx.settings.allowClientCertificates)
    throw badRequest('Invalid field: client_cert_pem is not accepted by this backend: send csr_pem');
  const metadata = requiredObject(body, 'metadata');
  const agentId = requiredString(metadata, 'agent_id', 'metadata.agent_id');
  for (const k of ['version', 'environment', 'hostname', 'platform'])
    optionalString(metadata, k, `metadata.${k}`);
  if (Buffer.byteLength(JSON.stringify(metadata)) > ctx.settings.maxMetadataBytes)
    throw badRequest(`Invalid field: metadata is larger than ${ctx.settings.maxMetadataBytes} bytes`);
  return { installToken, serviceName, serviceType, controllerName, csrPem, certPem, metadata, agentId };
}

/**
 * `POST /api/v1/register`: validates everything that needs no token first, then checks the
 * token and claims it in one atomic store step (docs/protocol.md, "Order of checks").
 */
export async function handleRegister(
  ctx: ServiceContext,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<RouteResult> {
  const input = readInput(ctx, body);
  const idempotencyKey = req.headers['idempotency-key'];
  if (typeof idempotencyKey !== 'string' || idempotencyKey === '')
    throw badRequest('Missing required header: Idempotency-Key', 'MISSING_IDEMPOTENCY_KEY');
  const csr = input.csrPem === undefined ? undefined : await readCsr(input.csrPem);
  if (csr) checkKeyAlgorithm(csr, ctx.settings.keyAlgorithms);
  const cert = input.certPem === undefined ? undefined : readClientCertificate(ctx, input.certPem);
  const spki = Buffer.from((csr ?? cert)!.spkiSha256, 'base64').toString('base64url');
  if (idempotencyKey !== spki)
    throw badRequest(
      'Idempotency-Key does not match the public key of the request: send base64url(SHA-256(SubjectPublicKeyInfo))',
      'IDEMPOTENCY_KEY_MISMATCH',
    );
  const r: RegisterInput = { ...input, csr, cert };

  const { id, secret } = splitToken(input.installToken);
  let found = TOKEN_ID.test(id) ? await ctx.store.getInstallToken(id) : undefined;
  if (!secretMatches(secret, found?.token.secretHash) || !found) throw invalidInstallToken();
  const token = found.token;
  const inScope =
    token.serviceName === r.serviceName &&
    token.serviceType === r.serviceType &&
    (token.controllerName === undefined || token.controllerName === r.controllerName);
  const waitUntil = Date.now() + ctx.settings.claimWaitMs;
  for (;;) {
    const claim: TokenClaim | undefined = found.claim;
    if (claim && claim.spki !== spki) {
      if (ctx.settings.tokenReuse === 'invalid') throw invalidInstallToken();
      throw new ProtocolError(
        409,
        'TOKEN_ALREADY_USED',
        'This install token was already used by a different key: ask for a new install token.',
      );
    }
    if (claim?.response !== undefined) {
      if (!inScope) throw scopeMismatch(r.serviceName, r.serviceType);
      const identity = await ctx.store.getIdentity(claim.serviceId);
      if (!identity) throw invalidInstallToken();
      if (identity.revoked) throw identityRevoked();
      return { status: 201, body: JSON.parse(claim.response), committed: true };
    }
    const now = ctx.now();
    if (!claim && now >= token.expiresAt) throw invalidInstallToken();
    if (!inScope) throw scopeMismatch(r.serviceName, r.serviceType);
    if (!claim || claim.leaseUntil <= now) {
      const plannedNotAfter = r.cert ? r.cert.notAfter.getTime() : now + ctx.settings.certificateLifetimeMs;
      const keepMs = Math.max(token.expiresAt, plannedNotAfter) - now + ctx.settings.retentionMs;
      const result = await ctx.store.claimInstallToken(id, {
        spki,
        serviceId: `svc_${randomId(8)}`,
        now,
        leaseMs: ctx.settings.claimLeaseMs,
        keepMs,
      });
      if (result.kind === 'missing' || result.kind === 'expired') throw invalidInstallToken();
      if (result.kind === 'claimed') return commit(ctx, id, spki, result.serviceId, r, keepMs);
      found = { token, claim: result.claim };
      continue;
    }
    // The same key is registering right now (here or on another replica): wait for its answer.
    if (Date.now() >= waitUntil)
      throw new ProtocolError(
        503,
        'SERVICE_UNAVAILABLE',
        'A registration with this key is still in progress: retry shortly.',
        { retryAfterMs: ctx.settings.retryAfterMs },
      );
    await ctx.sleep(25);
    const again = await ctx.store.getInstallToken(id);
    if (!again) throw invalidInstallToken();
    found = again;
  }
}

async function commit(
  ctx: ServiceContext,
  tokenId: string,
  spki: string,
  serviceId: string,
  r: RegisterInput,
  keepMs: number,
): Promise<RouteResult> {
  let response: string;
  try {
    const issued = r.csr
      ? await issueClientCertificate(ctx, {
          csr: r.csr.pem,
          subject: { commonName: r.serviceName, organizationalUnit: r.serviceType },
          uris: [`urn:mtlskit:service:${serviceId}`],
        })
      : undefined;
    const certificate = issued?.certificate ?? r.cert!;
    const notAfter = certificate.notAfter.getTime();
    await ctx.store.putIdentity(
      {
        serviceId,
        agentId: r.agentId,
        serviceName: r.serviceName,
        serviceType: r.serviceType,
        controllerName: r.controllerName,
        metadata: { ...r.metadata },
        mode: r.csr ? 'csr' : 'certificate',
        registeredAt: ctx.now(),
        revoked: false,
        renewals: 0,
        heartbeats: 0,
        lastHeartbeat: undefined,
        certificateFingerprint: certificate.fingerprintSha256,
        notAfter,
      },
      {
        fingerprint: certificate.fingerprintSha256,
        serviceId,
        notBefore: certificate.notBefore.getTime(),
        notAfter,
      },
      Math.max(keepMs, notAfter - ctx.now() + ctx.settings.retentionMs),
    );
    response = JSON.stringify({
      service_id: serviceId,
      message: 'Service registered successfully',
      ...(issued ? { certificate_pem: issued.chainPem } : {}),
      ca_pem: ctx.caPem,
      expires_at: certificate.notAfter.toISOString(),
      ...(r.csr ? renewalHints(ctx, certificate.notBefore, certificate.notAfter) : {}),
    });
  } catch (e) {
    // Nothing was answered: give the token back so the agent can retry. A store that is
    // down keeps the claim until its lease ends; a retry with the same key takes it over.
    await ctx.store.releaseClaim(tokenId, spki).catch(() => undefined);
    throw e;
  }
  const stored = await ctx.store.completeClaim(tokenId, spki, response);
  if (stored === undefined) throw invalidInstallToken();
  if (stored === response)
    ctx.emit('registered', { serviceId, agentId: r.agentId, serviceName: r.serviceName });
  return { status: 201, body: JSON.parse(stored), committed: true };
}
