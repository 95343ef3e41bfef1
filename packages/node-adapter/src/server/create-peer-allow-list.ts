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
  /**
   * SPIFFE trust domains (`example.org` or `spiffe://example.org`): any SPIFFE ID of the
   * domain is allowed (go-spiffe's `AuthorizeMemberOf`).
   */
  spiffeTrustDomains?: readonly string[];
}

function spiffeMatches(pattern: string, id: string): boolean {
  if (pattern.endsWith('/*')) return id.startsWith(pattern.slice(0, -1));
  return pattern === id;
}

function trustDomainOf(entry: string): string {
  const td = entry.startsWith('spiffe://') ? entry.slice('spiffe://'.length) : entry;
  if (td === '' || !/^[a-z0-9._-]+$/.test(td)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `spiffeTrustDomains takes trust domain names such as "example.org", got "${entry}".`,
    );
  }
  return td;
}

/** The trust domain of a SPIFFE ID, as written: the spec allows only lower case, so "Acme.org" matches nothing. */
function spiffeTrustDomain(id: string): string {
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash);
}

/**
 * Builds an `authorize` hook for {@link attachCredentials} from allow-lists of common
 * names, DNS names, URIs, SPIFFE IDs and SPIFFE trust domains. An empty allow-list allows
 * nobody. The same hook works as `authorizeServer` of {@link createMtlsDispatcher} and
 * {@link createMtlsHttpsAgent}.
 *
 * @example
 * ```ts
 * import { attachCredentials, createPeerAllowList } from '@mtlskit/node-adapter';
 * attachCredentials(server, source, {
 *   authorize: createPeerAllowList({ spiffeIds: ['spiffe://acme.org/ns/prod/*'], commonNames: ['billing'] }),
 * });
 * // Clients: verify the server by SPIFFE ID instead of host name.
 * createMtlsDispatcher(source, { authorizeServer: createPeerAllowList({ spiffeTrustDomains: ['acme.org'] }) });
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
  const domains = new Set((list.spiffeTrustDomains ?? []).map(trustDomainOf));
  return (peer) =>
    (peer.commonName !== undefined && cns.has(peer.commonName)) ||
    peer.dnsNames.some((d) => dns.has(d.toLowerCase())) ||
    peer.uris.some((u) => uris.has(u)) ||
    (peer.spiffeId !== undefined && spiffe.some((p) => spiffeMatches(p, peer.spiffeId!))) ||
    (peer.spiffeId !== undefined && domains.has(spiffeTrustDomain(peer.spiffeId)));
}
