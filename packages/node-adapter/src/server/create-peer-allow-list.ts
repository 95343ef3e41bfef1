import { MtlsError } from '@mtlskit/core';
import type { PeerIdentity } from './get-peer-identity.js';

/** Who may connect. A peer is allowed when any one entry of any list matches. */
export interface PeerAllowList {
  /** Exact subject common names. */
  commonNames?: readonly string[];
  /** Exact DNS SANs (case-insensitive). */
  dnsNames?: readonly string[];
  /** Exact URI SANs. */
  uris?: readonly string[];
  /**
   * SPIFFE IDs: exact (`spiffe://acme.org/ns/prod/sa/billing`) or a path prefix ending in
   * `/*` (`spiffe://acme.org/ns/prod/*`).
   */
  spiffeIds?: readonly string[];
}

function spiffeMatches(pattern: string, id: string): boolean {
  if (pattern.endsWith('/*')) return id.startsWith(pattern.slice(0, -1));
  return pattern === id;
}

/**
 * Builds an `authorize` hook for {@link attachCredentials} from allow-lists of common
 * names, DNS names, URIs and SPIFFE IDs. An empty allow-list allows nobody.
 *
 * @example
 * ```ts
 * import { attachCredentials, createPeerAllowList } from '@mtlskit/node-adapter';
 * attachCredentials(server, source, {
 *   authorize: createPeerAllowList({ spiffeIds: ['spiffe://acme.org/ns/prod/*'], commonNames: ['billing'] }),
 * });
 * ```
 */
export function createPeerAllowList(list: PeerAllowList): (peer: PeerIdentity) => boolean {
  if (typeof list !== 'object' || list === null) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'createPeerAllowList needs an object such as { commonNames: ["billing"] }.',
    );
  }
  const cns = new Set(list.commonNames ?? []);
  const dns = new Set((list.dnsNames ?? []).map((d) => d.toLowerCase()));
  const uris = new Set(list.uris ?? []);
  const spiffe = [...(list.spiffeIds ?? [])];
  for (const p of spiffe) {
    if (!p.startsWith('spiffe://')) {
      throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', `SPIFFE IDs start with "spiffe://", got "${p}".`);
    }
  }
  return (peer) =>
    (peer.commonName !== undefined && cns.has(peer.commonName)) ||
    peer.dnsNames.some((d) => dns.has(d.toLowerCase())) ||
    peer.uris.some((u) => uris.has(u)) ||
    (peer.spiffeId !== undefined && spiffe.some((p) => spiffeMatches(p, peer.spiffeId!)));
}
