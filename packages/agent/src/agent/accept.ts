import {
  type CertificateInfo,
  type Credentials,
  MtlsError,
  parseCertificates,
  verifyChain,
} from '@mtlskit/core';
import type { EnrollmentResult } from '../enrollment/enrollment-strategy.js';
import { makeCredentials } from '../lib/make-credentials.js';
import { validateResult } from '../lib/validate-result.js';
import type { StoredIdentity } from '../store/credential-store.js';
import type { AgentRuntime } from './agent-runtime.js';

type Call = 'register' | 'renew';

function refused(call: Call, reason: string, why: string, details: Record<string, unknown> = {}): MtlsError {
  return new MtlsError(
    'ERR_MTLS_INVALID_RESPONSE',
    `The backend's ${call} answer was refused: ${why}. Nothing was stored and the current identity stays in use; check the backend's issuing profile and CA.`,
    { details: { reason, call, ...details } },
  );
}

/**
 * What the agent will use the certificate for: a TLS client certificate. A serverAuth- or
 * codeSigning-only certificate, a CA certificate or one whose key usage forbids signing
 * handshakes would be stored and then break every mTLS call.
 */
export function checkClientCertificate(leaf: CertificateInfo, call: Call): void {
  if (leaf.isCA)
    throw refused(
      call,
      'ca-certificate',
      'the certificate is a CA certificate (CA:TRUE), not a client certificate',
    );
  if (
    leaf.hasExtendedKeyUsage &&
    !leaf.extendedKeyUsage.includes('clientAuth') &&
    !leaf.extendedKeyUsage.includes('anyExtendedKeyUsage')
  ) {
    throw refused(
      call,
      'no-client-auth',
      `the certificate is not for TLS clients (extended key usage ${leaf.extendedKeyUsage.join(', ')}; clientAuth is missing)`,
      { extendedKeyUsage: [...leaf.extendedKeyUsage] },
    );
  }
  // A TLS client signs the handshake (CertificateVerify) with its key, whatever the algorithm.
  if (leaf.hasKeyUsage && !leaf.keyUsage.includes('digitalSignature')) {
    throw refused(
      call,
      'key-usage',
      `the certificate's key usage (${leaf.keyUsage.join(', ') || 'none'}) does not allow digitalSignature, which a TLS client needs`,
      { keyUsage: [...leaf.keyUsage] },
    );
  }
}

/** On renew, the new certificate names the same identity (CN); SANs are the backend's choice. */
export function checkSameIdentity(
  leaf: CertificateInfo,
  previousChainPem: string | undefined,
  call: Call,
): void {
  if (previousChainPem === undefined) return;
  let previous: CertificateInfo;
  try {
    const first = parseCertificates(previousChainPem)[0];
    if (first === undefined) return;
    previous = first;
  } catch {
    return;
  }
  if (leaf.commonName !== previous.commonName) {
    throw refused(
      call,
      'identity-mismatch',
      `the new certificate is for CN "${leaf.commonName ?? ''}", the current one for CN "${previous.commonName ?? ''}"`,
    );
  }
}

function fingerprints(pem: string): Set<string> {
  try {
    return new Set(parseCertificates(pem).map((c) => c.fingerprintSha256));
  } catch {
    return new Set();
  }
}

/**
 * `ca_pem` becomes the trust anchors peers are verified with: it must be CA certificates
 * under which the issued chain verifies. On renew, each anchor the bundle adds must verify
 * the backend's current server certificate (the backend moved to it) or be signed by the
 * current anchors (a cross-signed CA rollover); dropping anchors is fine.
 */
export async function checkTrustAnchors(
  rt: AgentRuntime,
  anchorsPem: string,
  chainPem: string | undefined,
  call: Call,
  at: number,
): Promise<void> {
  let anchors: CertificateInfo[];
  try {
    anchors = parseCertificates(anchorsPem);
  } catch {
    anchors = [];
  }
  if (anchors.length === 0) throw refused(call, 'bad-ca', 'ca_pem holds no certificate');
  const notCa = anchors.find((a) => !a.isCA);
  if (notCa !== undefined)
    throw refused(call, 'bad-ca', `ca_pem holds "${notCa.subject}", which is not a CA (CA:FALSE)`);
  const verdict =
    chainPem === undefined
      ? undefined
      : await verifyChain({ leaf: chainPem, trustAnchors: anchors, at, purpose: 'clientAuth' });
  if (verdict !== undefined && !verdict.ok) {
    throw refused(call, 'bad-ca', `the issued certificate does not verify under ca_pem (${verdict.code})`, {
      chainCode: verdict.code,
    });
  }
  const previous = rt.current?.trustAnchorsPem;
  if (call !== 'renew' || previous === undefined) return;
  const before = fingerprints(previous);
  const added = anchors.filter((a) => !before.has(a.fingerprintSha256));
  if (added.length === 0) return;
  // Every added anchor must be vouched for: it verifies the backend's own server certificate
  // (the backend moved to that CA), or the current anchors signed it (a cross-signed rollover).
  const server = rt.backend.lastServerCertificate;
  for (const a of added) {
    if (server !== undefined) {
      const v = await verifyChain({
        leaf: new Uint8Array(server),
        trustAnchors: [a],
        at,
        purpose: 'serverAuth',
      });
      if (v.ok) continue;
    }
    const signed = await verifyChain({ leaf: a, trustAnchors: previous, at, purpose: 'any' });
    if (!signed.ok) {
      throw refused(
        call,
        'trust-bundle-change',
        `ca_pem adds the anchor "${a.subject}", which neither verifies the backend's own server certificate nor is signed by the current anchors`,
      );
    }
  }
}

/** Validates, persists, then swaps in a strategy's result. Bad material never replaces good. */
export async function acceptResult(
  rt: AgentRuntime,
  result: EnrollmentResult,
  keyPem: string,
  call: Call,
): Promise<Credentials> {
  const c = rt.c;
  if (typeof result !== 'object' || result === null || typeof result.certificateChainPem !== 'string') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_RESPONSE',
      `The enrollment strategy "${c.strategy.name}" returned no certificateChainPem.`,
      { details: { reason: 'missing-field', call } },
    );
  }
  const privateKeyPem = result.privateKeyPem ?? keyPem;
  c.redactor.addKey(privateKeyPem);
  // Key match, chain to the issuing anchors, valid now; then what the agent uses it for.
  const validated = await validateResult(
    {
      certificateChainPem: result.certificateChainPem,
      privateKeyPem,
      issuerAnchorsPem: result.issuerAnchorsPem ?? c.trustAnchorsPem,
    },
    c.clock,
    c.maxClockSkewMs,
    call,
  );
  const leaf = parseCertificates(validated.certificateChainPem)[0]!;
  checkClientCertificate(leaf, call);
  if (call === 'renew') checkSameIdentity(leaf, rt.current?.certificateChainPem, call);
  const trustAnchorsPem = result.trustAnchorsPem ?? c.trustAnchorsPem;
  if (result.trustAnchorsPem !== undefined) {
    const at = Math.max(c.clock.now(), validated.notBefore.getTime());
    // A self-issued or separately issued certificate (issuerAnchorsPem) need not chain to ca_pem.
    const chainPem = result.issuerAnchorsPem === undefined ? validated.certificateChainPem : undefined;
    await checkTrustAnchors(rt, result.trustAnchorsPem, chainPem, call, at);
  }
  const generation = Math.max(rt.current?.generation ?? 0, rt.stored?.generation ?? 0) + 1;
  const renewAfter = toIso(result.renewAfter);
  const identity: StoredIdentity = {
    generation,
    privateKeyPem,
    certificateChainPem: validated.certificateChainPem,
    trustAnchorsPem,
    agentId: rt.agentId!,
    serviceId: result.serviceId ?? rt.stored?.serviceId,
    renewAfter,
    savedAt: new Date(c.clock.now()).toISOString(),
  };
  await rt.storeCall('save', () => c.store.save(identity));
  await rt
    .storeCall('clearPendingKey', () => c.store.clearPendingKey())
    .catch((e: unknown) => {
      // The identity is saved; a stale pending key is only reused if it is still pending.
      c.log('warn', 'could not clear the pending key', { error: e });
    });
  rt.stored = identity;
  rt.renewAfterHint = renewAfter === undefined ? undefined : new Date(renewAfter);
  const credentials = makeCredentials({
    certificateChainPem: identity.certificateChainPem,
    privateKeyPem,
    trustAnchorsPem: identity.trustAnchorsPem,
    notBefore: validated.notBefore,
    notAfter: validated.notAfter,
    generation,
  });
  if (rt.closing === undefined) rt.install(credentials, identity, true);
  return credentials;
}

function toIso(v: Date | string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
