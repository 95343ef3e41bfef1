import type { CertificateInfo } from '../cert/parse-certificate.js';
import type { ChainVerdict } from '../chain/chain-verdict.js';
import { describe, isoDate } from './describe-certificate.js';
import { explainMissingIssuer } from './explain-missing-issuer.js';
import type { Collector } from './finding-collector.js';
import { type IssuerLookup, sameName } from './issuer-lookup.js';

// Turns a verifier verdict into findings that say what happened to this chain and what to do.

/** Whether `top`'s issuer name is among the sent certificates (which then never reach an anchor). */
function loops(top: CertificateInfo, sent: readonly CertificateInfo[]): boolean {
  return sent.some((c) => sameName(c.subject, top.issuer));
}

/** A failure that is only about the leaf itself (already reported by the leaf checks). */
export function leafOnly(v: Exclude<ChainVerdict, { ok: true }>): boolean {
  return (
    (v.depth ?? 0) === 0 &&
    ['EXPIRED', 'NOT_YET_VALID', 'EXTENDED_KEY_USAGE', 'KEY_USAGE', 'NAME_MISMATCH'].includes(v.code)
  );
}

export function addRegenerated(
  out: Collector,
  lookup: IssuerLookup,
  side: 'ca' | 'peer',
  ownIssuer?: IssuerLookup,
): void {
  const name = lookup.wanted;
  const theirs = lookup.sameName
    .map((a) => `${a.fingerprintSha256} (valid ${isoDate(a.notBefore)} to ${isoDate(a.notAfter)})`)
    .join(', ');
  const ours = ownIssuer?.keyMatches
    ? ownIssuer.sameName.map((a) => a.fingerprintSha256).join(', ')
    : undefined;
  const bundle = side === 'ca' ? 'your CA file (--ca)' : "the peer's trust bundle (--peer-ca)";
  out.add(
    'CA_REGENERATED',
    'error',
    `The CA "${name}" was regenerated: ${bundle} holds a CA with that name (SHA-256 ${theirs}) but a different key, so it cannot verify ${describe(lookup.top)}` +
      (ours ? `, which was signed by the CA with SHA-256 ${ours}.` : '.'),
    side === 'ca'
      ? 'Re-issue the certificate from the current CA, or put the CA certificate that actually signed it into the CA file. `mtlskit compare` shows which copies of the CA differ.'
      : "Distribute the current CA to the peer (update its trust bundle / secret) or re-issue your certificate from the CA the peer trusts; during a rotation put both CAs in the peer's bundle. `mtlskit compare ours=CA_FILE peer=PEER_CA_FILE` shows the two copies.",
  );
}

export function explainVerdict(
  out: Collector,
  v: Exclude<ChainVerdict, { ok: true }>,
  leaf: CertificateInfo,
  lookup: IssuerLookup,
  side: 'ca',
  anchors: CertificateInfo[],
  sent: CertificateInfo[],
): void {
  if (
    lookup.sameName.length > 0 &&
    !lookup.keyMatches &&
    (v.code === 'ISSUER_KEY_MISMATCH' || v.code === 'UNKNOWN_ISSUER' || v.code === 'BAD_SIGNATURE')
  ) {
    addRegenerated(out, lookup, side);
    return;
  }
  const at =
    v.certificate && v.certificate.fingerprintSha256 !== leaf.fingerprintSha256
      ? describe(v.certificate)
      : describe(leaf);
  switch (v.code) {
    case 'EXPIRED':
    case 'NOT_YET_VALID':
      // The leaf's own dates were reported above; a CA's dates are news.
      if (
        (v.depth ?? 0) > 0 ||
        (v.certificate && v.certificate.fingerprintSha256 !== leaf.fingerprintSha256)
      ) {
        out.add(
          v.code,
          'error',
          `CA certificate ${at} in the path ${v.code === 'EXPIRED' ? 'has expired' : 'is not valid yet'}: ${v.message}`,
          'Replace the CA certificate (in the chain file or the CA file) with its current version from the CA operator.',
        );
      } else if (!out.has(v.code)) {
        out.add(v.code, 'error', v.message, 'Renew the certificate.');
      }
      return;
    case 'ISSUER_KEY_MISMATCH':
      addRegenerated(out, lookup, side);
      return;
    case 'MISSING_INTERMEDIATE':
    case 'UNKNOWN_ISSUER': {
      // Intermediates that sign each other in a loop: the certificates show what is missing.
      if (v.code === 'MISSING_INTERMEDIATE' && !lookup.top.selfIssued && loops(lookup.top, sent)) {
        out.add(
          'MISSING_INTERMEDIATE',
          'error',
          v.message,
          `Add the intermediate CA certificate that links the chain to "${anchors[0]?.subject ?? 'your CA'}" after the leaf (--chain), e.g. \`cat client.crt intermediate.crt > chain.pem\`.`,
        );
        return;
      }
      // The verifier's choice between the two codes is a guess; the explanation uses facts only.
      const gap = explainMissingIssuer(leaf, lookup.top, anchors, describe);
      out.add(gap.code, 'error', gap.message, gap.fix);
      return;
    }
    case 'EXTENDED_KEY_USAGE':
      if (!out.has('WRONG_EKU')) {
        out.add(
          'WRONG_EKU',
          'error',
          `${at}: ${v.message}`,
          'Issue certificates whose extended key usage (and that of their CAs) allows this purpose.',
        );
      }
      return;
    case 'NAME_MISMATCH':
      if (!out.has('HOSTNAME_MISMATCH'))
        out.add(
          'HOSTNAME_MISMATCH',
          'error',
          v.message,
          'Re-issue the certificate with the right subject alternative names.',
        );
      return;
    default:
      out.add(
        'CHAIN_INVALID',
        'error',
        `The chain of ${describe(leaf)} does not verify against the CA file (${v.code}${v.depth !== undefined ? ` at depth ${v.depth}` : ''}): ${v.message}`,
        'Fix the certificate named above (re-issue it from your CA); `mtlskit verify --leaf CERT --trust CA_FILE` shows the verifier’s verdict.',
      );
  }
}
