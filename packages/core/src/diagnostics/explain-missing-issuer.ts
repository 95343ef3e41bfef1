import { type CertificateInfo, decodedOf } from '../cert/parse-certificate.js';
import { children, decodeOid, expectTag, readSingle, TAG } from '../x509/der.js';
import { OID } from '../x509/oids.js';
import type { FindingCode } from './finding.js';

/** What {@link explainMissingIssuer} concludes, as a finding without its severity. */
export interface MissingIssuerExplanation {
  code: Extract<FindingCode, 'UNKNOWN_ISSUER' | 'ISSUER_NOT_FOUND'>;
  message: string;
  fix: string;
}

const AIA_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';
const URI_TAG = 0x86;

/** The AIA caIssuers URLs of a certificate: where its issuer's certificate can be downloaded. */
export function caIssuersUrls(c: CertificateInfo): string[] {
  const urls: string[] = [];
  try {
    for (const ext of decodedOf(c).extensions.raw) {
      if (ext.oid !== OID.authorityInfoAccess) continue;
      for (const item of children(expectTag(readSingle(ext.value), TAG.SEQUENCE, 'authorityInfoAccess'))) {
        const [method, location] = children(item);
        if (method?.tag !== TAG.OID || decodeOid(method.value) !== AIA_CA_ISSUERS) continue;
        if (location?.tag === URI_TAG) urls.push(new TextDecoder().decode(location.value));
      }
    }
  } catch {
    // A malformed AIA is the verifier's business; here it only means "no pointer".
  }
  return urls;
}

const names = (list: readonly CertificateInfo[]) =>
  `${list
    .slice(0, 3)
    .map((a) => `"${a.subject}"`)
    .join(', ')}${list.length > 3 ? ', …' : ''}`;

/**
 * Explains a chain that stops at `top` because nobody in the files issued it. The cause
 * comes only from what the certificates prove (a root sent in the chain, path-length
 * limits, key identifiers), never from how alike the names look: when the files cannot
 * tell a left-out intermediate from a foreign CA, the explanation says exactly that, names
 * the certificate to look for and puts the `cat` fix first.
 */
export function explainMissingIssuer(
  leaf: CertificateInfo,
  top: CertificateInfo,
  anchors: readonly CertificateInfo[],
  describe: (c: CertificateInfo) => string,
): MissingIssuerExplanation {
  const missing = top.issuer;
  const keyId = top.authorityKeyId;
  const wanted = `"${missing}"${keyId ? ` (its subject key identifier must be ${keyId})` : ''}`;
  const urls = caIssuersUrls(top);
  const otherCaFix = `Use the CA file of the CA that issued this certificate as --ca, or get a certificate issued by ${names(anchors)}.`;

  // A self-signed root at the top of the chain as sent, and not in --ca: a different PKI.
  if (top.selfIssued && top.fingerprintSha256 !== leaf.fingerprintSha256) {
    return {
      code: 'UNKNOWN_ISSUER',
      message: `The chain of ${describe(leaf)} ends at the root ${describe(top)}, which is sent with the chain but is not in --ca (${names(anchors)}): the certificate comes from a different CA than the one in the CA file.`,
      fix: `${otherCaFix} (A root sent in the chain is never trusted for being sent; remove it from the chain file.)`,
    };
  }
  // No CA in --ca may have an intermediate below it: whatever issued `top` is not under them.
  const canHaveIntermediates = anchors.filter((a) => a.isCA && a.pathLength !== 0);
  if (anchors.length > 0 && canHaveIntermediates.length === 0) {
    return {
      code: 'UNKNOWN_ISSUER',
      message: `${describe(top)} was issued by "${missing}", which is not in --ca, and no intermediate can sit between it and the CA file: every CA there (${names(anchors)}) has a path length limit of 0 or is no CA. The certificate comes from a different CA than the one in the CA file.`,
      fix: otherCaFix,
    };
  }
  const aia =
    urls.length > 0 ? ` The certificate says its issuer can be downloaded from ${urls.join(', ')}.` : '';
  return {
    code: 'ISSUER_NOT_FOUND',
    message: `${top.fingerprintSha256 === leaf.fingerprintSha256 ? `Certificate ${describe(leaf)} was sent without its chain` : `The chain of ${describe(leaf)} stops at ${describe(top)}`}: its issuer ${wanted} is neither in the chain nor in --ca (${names(anchors)}). These files cannot tell whether "${missing}" is an intermediate CA that was left out of the chain or a CA unrelated to --ca.${aia}`,
    fix: `Look for the certificate of "${missing}"${urls.length > 0 ? ` (${urls[0]})` : ' (it usually ships with the certificate: ca-bundle, chain.pem, the CA’s download page)'}. If it exists, send it after the certificate: \`cat client.crt intermediate.crt > chain.pem\` and use chain.pem as --cert (or pass --chain intermediate.crt); doctor then checks that it chains to --ca. If there is no such intermediate, the certificate comes from another CA: ${otherCaFix.charAt(0).toLowerCase()}${otherCaFix.slice(1)}`,
  };
}
