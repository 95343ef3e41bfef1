import type { CertificateInfo } from '../cert/parse-certificate.js';
import { parseCertificates } from '../cert/parse-certificates.js';
import type { ChainProfile, ChainPurpose, ChainVerdict } from '../chain/chain-verdict.js';
import { matchHostname, matchIp } from '../chain/names/hostname.js';
import { verifyChain } from '../chain/verify-chain.js';
import { MtlsError } from '../errors/mtls-error.js';
import { keyMatchesCertificate } from '../keys/key-matches-certificate.js';
import type { CryptoOptions, KeyPair } from '../keys/key-pair.js';
import { parseIp } from '../x509/ip-address.js';
import { DAY, describe, humanDuration, isoDate, matchesGlob } from './describe-certificate.js';
import { addRegenerated, explainVerdict, leafOnly } from './explain-verdict.js';
import type { Finding } from './finding.js';
import { collector } from './finding-collector.js';
import { lookUpIssuer, orderedPath } from './issuer-lookup.js';

/** Certificates given as a PEM string or bundle, a parsed certificate, or a list of them. */
export type DiagnoseCertificates = string | CertificateInfo | readonly CertificateInfo[];

/** Options of {@link diagnose}. */
export interface DiagnoseOptions extends CryptoOptions {
  /**
   * The certificate to check. A bundle is read as leaf first, then its chain (a
   * `fullchain.pem` works as is).
   */
  certificate: DiagnoseCertificates;
  /** The private key (PEM or key pair) that should belong to the certificate. Default: not checked. */
  privateKey?: string | Uint8Array | KeyPair;
  /** Intermediates sent along with the leaf, in the order they are sent. Default: none (besides those in `certificate`). */
  chain?: DiagnoseCertificates;
  /** The CAs the certificate should chain to (your own CA file). Default: trust is not checked. */
  trustAnchors?: DiagnoseCertificates;
  /** The CAs the other side trusts (the peer's CA bundle). Default: not checked. */
  peerTrustAnchors?: DiagnoseCertificates;
  /** What the certificate is used for. Default `'clientAuth'`. */
  purpose?: ChainPurpose;
  /**
   * The rules the chain is held to (see VerifyChainOptions.profile). Default: `'webpki'` for
   * `purpose: 'serverAuth'`, `'rfc5280'` otherwise. A webpki-only refusal says in its message
   * that Node's TLS stack would accept the chain.
   */
  profile?: ChainProfile;
  /**
   * A glob (`*` any run of characters, `?` one character) the leaf's common name must match,
   * e.g. `alloc:*` for gateways that want the allocation token. Default: not checked.
   */
  expectCommonName?: string;
  /** A DNS name or IP address the leaf's SANs must cover (server certificates). Default: not checked. */
  hostname?: string;
  /**
   * Warn when the leaf expires within this many ms. Default: 7 days or a third of the
   * certificate's lifetime, whichever is shorter — i.e. once the certificate is past the
   * point where it should have been renewed, so that short-lived certificates (24 h) do
   * not warn from the moment they are issued.
   */
  expiringWithinMs?: number;
  /** The time to check at. Default: now. */
  at?: Date;
}

function toInfos(input: DiagnoseCertificates | undefined, what: string): CertificateInfo[] {
  if (input === undefined) return [];
  if (typeof input === 'string') {
    const list = parseCertificates(input);
    if (list.length === 0) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        `The ${what} holds no certificate; give PEM text with "-----BEGIN CERTIFICATE-----".`,
      );
    }
    return list;
  }
  if (Array.isArray(input)) return [...(input as readonly CertificateInfo[])];
  if (typeof input === 'object' && input !== null && 'der' in input) return [input as CertificateInfo];
  throw new MtlsError(
    'ERR_MTLS_INVALID_ARGUMENT',
    `The ${what} must be PEM text, a CertificateInfo or an array of them.`,
  );
}

/**
 * Checks a certificate, its key and its chain for everything that commonly breaks mTLS
 * handshakes, and explains each problem with what to do about it. Findings are sorted
 * errors first; when nothing is wrong the result is a single `OK` info finding.
 *
 * Codes: `KEY_MISMATCH`, `EXPIRED`, `NOT_YET_VALID`, `EXPIRING_SOON`, `UNTRUSTED_BY_PEER`,
 * `CA_REGENERATED`, `MISSING_INTERMEDIATE`, `UNKNOWN_ISSUER`, `ISSUER_NOT_FOUND`, `CHAIN_INVALID`, `WRONG_EKU`,
 * `COMMON_NAME_MISMATCH`, `HOSTNAME_MISMATCH`, `CHAIN_OUT_OF_ORDER`, `CHAIN_CONTAINS_ROOT`,
 * `SELF_SIGNED_LEAF`, `WEAK_KEY`, `SHA1_SIGNATURE`, `OK` (see docs/cli.md).
 * Unreadable input (bad PEM, a key that cannot be imported) throws an {@link MtlsError}.
 *
 * @example
 * ```ts
 * const findings = await diagnose({
 *   certificate: readFileSync('client.crt', 'utf8'),
 *   privateKey: readFileSync('client.key', 'utf8'),
 *   trustAnchors: readFileSync('ca.crt', 'utf8'),
 *   peerTrustAnchors: readFileSync('gateway-ca.crt', 'utf8'),
 *   expectCommonName: 'alloc:*',
 * });
 * if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
 * ```
 */
export async function diagnose(options: DiagnoseOptions): Promise<Finding[]> {
  if (!options || typeof options !== 'object') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'diagnose() needs an options object with at least `certificate`.',
    );
  }
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', '`at` must be a valid Date.');
  }
  const explicitWithin = options.expiringWithinMs;
  if (explicitWithin !== undefined && (typeof explicitWithin !== 'number' || !(explicitWithin >= 0))) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      '`expiringWithinMs` must be a number of milliseconds ≥ 0.',
    );
  }
  const purpose = options.purpose ?? 'clientAuth';
  if (!['clientAuth', 'serverAuth', 'any'].includes(purpose)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      '`purpose` must be "clientAuth", "serverAuth" or "any".',
    );
  }
  const crypto = options.crypto;
  const given = toInfos(options.certificate, 'certificate');
  const leaf = given[0];
  if (!leaf) throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', 'The certificate input holds no certificate.');
  const sent: CertificateInfo[] = [];
  for (const c of [...given.slice(1), ...toInfos(options.chain, 'chain')]) {
    if (
      c.fingerprintSha256 !== leaf.fingerprintSha256 &&
      !sent.some((s) => s.fingerprintSha256 === c.fingerprintSha256)
    )
      sent.push(c);
  }
  const anchors = toInfos(options.trustAnchors, 'trust anchors');
  const peerAnchors = toInfos(options.peerTrustAnchors, 'peer trust anchors');
  const out = collector();
  const L = describe(leaf);
  const within =
    explicitWithin ?? Math.min(7 * DAY, (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 3);

  // 1. The key.
  if (options.privateKey !== undefined && !(await keyMatchesCertificate(options.privateKey, leaf))) {
    out.add(
      'KEY_MISMATCH',
      'error',
      `The private key does not belong to certificate ${L}: the certificate's public key (SPKI SHA-256 ${leaf.spkiSha256}) is not the key's.`,
      'Use the key file written together with this certificate, or re-issue the certificate from a CSR made with this key. Compare `openssl pkey -in KEY -pubout | openssl sha256` with `openssl x509 -in CERT -pubkey -noout | openssl sha256`.',
    );
  }

  // 2. Dates of the leaf.
  if (leaf.notAfter.getTime() < at.getTime()) {
    out.add(
      'EXPIRED',
      'error',
      `Certificate ${L} expired on ${isoDate(leaf.notAfter)} (${humanDuration(at.getTime() - leaf.notAfter.getTime())} ago).`,
      'Renew it: request a new certificate from your CA (or let the mtlskit agent renew it) and replace the certificate file; running processes must reload it.',
    );
  } else if (leaf.notBefore.getTime() > at.getTime()) {
    out.add(
      'NOT_YET_VALID',
      'error',
      `Certificate ${L} is not valid before ${isoDate(leaf.notBefore)} (in ${humanDuration(leaf.notBefore.getTime() - at.getTime())}).`,
      "Check this machine's clock (and the CA's): `date -u`. If the clock is right, wait or re-issue the certificate with an earlier notBefore.",
    );
  } else if (leaf.notAfter.getTime() - at.getTime() <= within) {
    out.add(
      'EXPIRING_SOON',
      'warning',
      `Certificate ${L} expires on ${isoDate(leaf.notAfter)}, in ${humanDuration(leaf.notAfter.getTime() - at.getTime())}.`,
      'Renew it now; automate renewal (the mtlskit agent renews at two thirds of the lifetime) so it never lapses.',
    );
  }
  for (const c of sent) {
    if (c.notAfter.getTime() < at.getTime()) {
      out.add(
        'EXPIRED',
        'error',
        `Chain certificate ${describe(c)} expired on ${isoDate(c.notAfter)}.`,
        'Replace it in the chain file with the current certificate of that CA (ask the CA operator for the renewed intermediate).',
      );
    } else if (c.notBefore.getTime() > at.getTime()) {
      out.add(
        'NOT_YET_VALID',
        'error',
        `Chain certificate ${describe(c)} is not valid before ${isoDate(c.notBefore)}.`,
        "Check this machine's clock (`date -u`); otherwise wait until the CA certificate becomes valid.",
      );
    }
  }

  // 3. What the leaf is.
  if (leaf.selfIssued) {
    const pinned = anchors.some((a) => a.fingerprintSha256 === leaf.fingerprintSha256);
    out.add(
      'SELF_SIGNED_LEAF',
      pinned ? 'warning' : 'error',
      `Certificate ${L} is self-signed (issuer = subject)${pinned ? '; it is trusted only because it is itself in the trust bundle' : ''}.`,
      'Issue the certificate from your CA instead (`mtlskit` agents enroll with an install token); peers only trust certificates their CA signed.',
    );
  }
  if (
    options.expectCommonName !== undefined &&
    !matchesGlob(options.expectCommonName, leaf.commonName ?? '')
  ) {
    const alloc = /^alloc:/i.test(options.expectCommonName);
    out.add(
      'COMMON_NAME_MISMATCH',
      'error',
      `The common name of ${L} is ${leaf.commonName === undefined ? 'missing' : `"${leaf.commonName}"`}, but "${options.expectCommonName}" is expected.` +
        (alloc
          ? ' The gateway needs the allocation token in the CN: this certificate probably came from the plain /api/v1/cert endpoint instead of the allocate endpoint.'
          : ''),
      alloc
        ? 'Get the client certificate from POST /api/v1/worker/allocate (its clientCert has CN=alloc:<token-id>) and use that certificate and key.'
        : `Re-issue the certificate with a subject whose CN matches "${options.expectCommonName}".`,
    );
  }
  const wantEku =
    purpose === 'clientAuth' ? 'clientAuth' : purpose === 'serverAuth' ? 'serverAuth' : undefined;
  if (
    wantEku &&
    leaf.hasExtendedKeyUsage &&
    !leaf.extendedKeyUsage.includes(wantEku) &&
    !leaf.extendedKeyUsage.includes('anyExtendedKeyUsage')
  ) {
    out.add(
      'WRONG_EKU',
      'error',
      `Certificate ${L} is for ${leaf.extendedKeyUsage.join(', ') || 'no purpose'} (extended key usage) but is used for ${wantEku}.`,
      wantEku === 'clientAuth'
        ? 'Issue a client certificate (EKU clientAuth), e.g. `ca.issue({ profile: "client" })`, or `both` for dual use.'
        : 'Issue a server certificate (EKU serverAuth), e.g. `ca.issue({ profile: "server" })`, or `both` for dual use.',
    );
  }
  if (options.hostname !== undefined && options.hostname !== '') {
    const host = options.hostname;
    const ipBytes = parseIp(host);
    // The same matcher as verifyChain: the two never disagree about a host name.
    const ok = ipBytes
      ? matchIp(
          host,
          leaf.ipAddresses.flatMap((a) => parseIp(a) ?? []),
        )
      : matchHostname(host, leaf.dnsNames);
    if (!ok) {
      const names = [...leaf.dnsNames.map((d) => `DNS:${d}`), ...leaf.ipAddresses.map((i) => `IP:${i}`)];
      out.add(
        'HOSTNAME_MISMATCH',
        'error',
        `Certificate ${L} does not cover "${host}": its subject alternative names are ${names.length ? names.join(', ') : 'absent'}` +
          (leaf.commonName && names.length === 0
            ? ` (the CN "${leaf.commonName}" is ignored by modern clients)`
            : '') +
          '.',
        `Re-issue the certificate with ${ipBytes ? 'IP' : 'DNS'}:${host} in its subject alternative names, or connect with a name it covers (--servername).`,
      );
    }
  }

  // 4. Algorithms.
  for (const c of [leaf, ...sent]) {
    const rsa = c.publicKeyAlgorithm.startsWith('RSA');
    const ec = c.publicKeyAlgorithm === 'ECDSA';
    if ((rsa && c.publicKeySize < 2048) || (ec && c.publicKeySize < 256)) {
      out.add(
        'WEAK_KEY',
        'error',
        `Certificate ${describe(c)} has a ${c.publicKeySize}-bit ${c.publicKeyAlgorithm} key; current TLS stacks refuse ${rsa ? 'RSA below 2048' : 'EC below 256'} bits.`,
        'Generate a new key (ECDSA P-256 or RSA ≥ 2048, e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`) and re-issue the certificate.',
      );
    }
    // A root's self-signature is never checked, so only issued certificates matter.
    if (/sha1|md5/i.test(c.signatureAlgorithm) && !(c.selfIssued && c !== leaf)) {
      out.add(
        'SHA1_SIGNATURE',
        'error',
        `Certificate ${describe(c)} is signed with ${c.signatureAlgorithm}; OpenSSL 3, Go and browsers reject SHA-1 (and MD5) signatures.`,
        'Have the CA re-issue it with SHA-256 (`openssl x509 -req … -sha256`).',
      );
    }
  }

  // 5. The chain as sent.
  for (const c of sent) {
    if (c.selfIssued && c.isCA) {
      out.add(
        'CHAIN_CONTAINS_ROOT',
        'warning',
        `The chain includes the root CA ${describe(c)}. Peers never use a root sent by the other side; if it is not in their trust bundle the handshake still fails, and if the copies differ it confuses debugging.`,
        'Remove the root from the chain file: send the leaf and intermediates only; the root belongs in the trust bundle (--ca).',
      );
    }
  }
  const path = await orderedPath(leaf, sent, crypto);
  const asSent = [leaf, ...sent];
  const outOfOrder = path.some((c, i) => asSent[i]?.fingerprintSha256 !== c.fingerprintSha256);
  if (outOfOrder) {
    out.add(
      'CHAIN_OUT_OF_ORDER',
      'warning',
      `The chain is sent as ${asSent.map((c) => `"${c.subject}"`).join(' → ')}, but each certificate must be followed by its issuer: ${path.map((c) => `"${c.subject}"`).join(' → ')}. Strict peers (Java, some gateways) reject it.`,
      'Rewrite the chain file in the order leaf, then its issuer, then that issuer’s issuer (e.g. `cat leaf.crt intermediate.crt > chain.pem`).',
    );
  }

  // 6. Trust: our own CA file, then the peer's.
  const verify = (trustAnchors: CertificateInfo[]): Promise<ChainVerdict> =>
    verifyChain({
      leaf,
      intermediates: sent,
      trustAnchors,
      at,
      purpose,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(crypto ? { crypto } : {}),
    });
  let trustedChain: CertificateInfo[] | undefined;
  if (anchors.length > 0) {
    const verdict = await verify(anchors);
    if (verdict.ok) trustedChain = verdict.chain;
    const lookup = await lookUpIssuer(path, anchors, crypto);
    if (!verdict.ok) explainVerdict(out, verdict, leaf, lookup, 'ca', anchors, sent);
    else if (!lookup.keyMatches && lookup.sameName.length > 0) addRegenerated(out, lookup, 'ca');
  }
  if (peerAnchors.length > 0) {
    const verdict = await verify(peerAnchors);
    const lookup = await lookUpIssuer(path, peerAnchors, crypto);
    const ownIssuer = anchors.length > 0 ? await lookUpIssuer(path, anchors, crypto) : undefined;
    if (!verdict.ok && !leafOnly(verdict)) {
      if (lookup.sameName.length > 0 && !lookup.keyMatches) addRegenerated(out, lookup, 'peer', ownIssuer);
      const regenerated = lookup.sameName.length > 0 && !lookup.keyMatches;
      const peerList = `${peerAnchors
        .slice(0, 3)
        .map((a) => `"${a.subject}"`)
        .join(', ')}${peerAnchors.length > 3 ? ', …' : ''}`;
      // When our own CA file verifies the chain, we know its root: the peer simply does not
      // trust that root, whatever the verifier guesses about a missing intermediate.
      const ourRoot = trustedChain?.[trustedChain.length - 1];
      const otherRoot =
        !regenerated &&
        ourRoot &&
        (verdict.code === 'MISSING_INTERMEDIATE' || verdict.code === 'UNKNOWN_ISSUER');
      const issuerNote = regenerated
        ? `it trusts a CA named "${lookup.wanted}" but with a different key (${verdict.code}: ${verdict.message})`
        : otherRoot
          ? `it chains to ${describe(ourRoot)}, which is not among the peer's ${peerAnchors.length} CA(s) (${peerList})`
          : verdict.code === 'MISSING_INTERMEDIATE' || verdict.code === 'UNKNOWN_ISSUER'
            ? `none of its ${peerAnchors.length} CA(s) (${peerList}) issued "${lookup.top.issuer}", and the chain sent does not lead to one of them`
            : `none of its ${peerAnchors.length} CA(s) (${peerList}) issued "${lookup.top.issuer}" (${verdict.code}: ${verdict.message})`;
      out.add(
        'UNTRUSTED_BY_PEER',
        'error',
        `The peer will reject ${L}: ${issuerNote}.`,
        `Make both sides use the same CA: either add your CA ("${lookup.wanted}") to the peer's trust bundle (--peer-ca file), or get a certificate issued by a CA the peer trusts. \`mtlskit compare ours=CA_FILE peer=PEER_CA_FILE\` shows the difference.`,
      );
    }
  }

  const findings = out.list();
  if (!findings.some((f) => f.severity !== 'info')) {
    const parts = [`Certificate ${L} is valid until ${isoDate(leaf.notAfter)}`];
    if (options.privateKey !== undefined) parts.push('matches its private key');
    const root = trustedChain?.[trustedChain.length - 1];
    if (root) parts.push(`chains to ${describe(root)}`);
    if (peerAnchors.length > 0) parts.push("is trusted by the peer's bundle");
    findings.unshift(
      Object.freeze({
        code: 'OK' as const,
        severity: 'info' as const,
        message: `${parts.join(', ')}.`,
        fix: 'Nothing to do.',
      }),
    );
  }
  return findings;
}
