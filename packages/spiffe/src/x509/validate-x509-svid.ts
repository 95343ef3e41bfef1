import {
  type Clock,
  MtlsError,
  type ValidatedCredentials,
  validateCredentials,
  verifyChain,
} from '@mtlskit/core';
import { parseSpiffeId } from '../id/parse-spiffe-id.js';
import type { X509Svid } from './x509-svid.js';

/** What passed {@link validateX509Svid}. */
export interface ValidatedSvid extends ValidatedCredentials {
  readonly spiffeId: string;
  readonly trustDomain: string;
}

function invalid(svid: X509Svid, why: string, details: Record<string, unknown> = {}): MtlsError {
  return new MtlsError(
    'ERR_MTLS_SPIFFE_SVID_INVALID',
    `The X.509-SVID for "${svid.spiffeId}" was refused: ${why}; the current SVID stays in service.`,
    { details: { spiffeId: svid.spiffeId, ...details } },
  );
}

/**
 * The X.509-SVID checks: the key matches the leaf, the leaf is valid now, the chain
 * verifies under the SVID's *own* trust-domain bundle (not a federated one), the leaf is
 * not a CA and carries exactly one URI SAN, a SPIFFE ID equal to the one the agent named,
 * and, when the agent sent CRLs, no certificate of the chain is revoked.
 */
export async function validateX509Svid(
  svid: X509Svid,
  crlsPem: string,
  clock: Clock,
): Promise<ValidatedSvid> {
  const parsed = parseSpiffeId(svid.spiffeId);
  const material = await validateCredentials(
    {
      certificateChainPem: svid.certificateChainPem,
      privateKeyPem: svid.privateKeyPem,
      trustAnchorsPem: svid.bundlePem,
    },
    { clock },
  );
  const leaf = material.leaf;
  if (leaf.isCA) throw invalid(svid, 'its leaf certificate is a CA');
  if (leaf.uris.length !== 1)
    throw invalid(
      svid,
      `its leaf must carry exactly one URI SAN (the SPIFFE ID), it has ${leaf.uris.length}`,
      {
        uris: leaf.uris,
      },
    );
  if (leaf.uris[0] !== svid.spiffeId)
    throw invalid(svid, `its leaf carries "${leaf.uris[0]}", not the SPIFFE ID the agent named`, {
      uri: leaf.uris[0],
    });
  if (crlsPem !== '') {
    const chain = svid.certificateChainPem;
    const verdict = await verifyChain({
      leaf: chain,
      trustAnchors: svid.bundlePem,
      at: new Date(clock.now()),
      crls: crlsPem,
      // An SVID serves as client and server alike; the usage checks happen in each handshake.
      purpose: 'any',
      profile: 'rfc5280',
    });
    if (!verdict.ok)
      throw new MtlsError(
        'ERR_MTLS_CHAIN_INVALID',
        `The X.509-SVID for "${svid.spiffeId}" does not verify with the agent's CRLs: ${verdict.message}; the current SVID stays in service.`,
        { details: { chainCode: verdict.code, spiffeId: svid.spiffeId } },
      );
  }
  return { ...material, spiffeId: parsed.id, trustDomain: parsed.trustDomain };
}
