import { toASCII } from 'tr46';
import { indexGeneralNames, latin1At, nextNameCandidate } from '../../x509/general-names-scan.js';
import { parseIp, unmapIpv4 } from '../../x509/ip-address.js';

// Multi-label public suffixes (ccTLD second levels and shared hosting domains) that a
// wildcard must never cover. Single-label suffixes (TLDs) are caught by the label count.
// Not the whole Public Suffix List: the common registries, enough to refuse `*.co.uk`.
const MULTI_LABEL_SUFFIXES = new Set(
  (
    'co.uk org.uk me.uk ltd.uk plc.uk net.uk ac.uk gov.uk sch.uk nhs.uk police.uk ' +
    'com.au net.au org.au edu.au gov.au asn.au id.au co.nz net.nz org.nz govt.nz ac.nz ' +
    'co.jp ne.jp or.jp ac.jp go.jp ad.jp ed.jp gr.jp lg.jp co.kr or.kr ne.kr go.kr ac.kr ' +
    'com.cn net.cn org.cn gov.cn edu.cn ac.cn com.hk net.hk org.hk gov.hk edu.hk ' +
    'com.tw net.tw org.tw gov.tw edu.tw com.sg net.sg org.sg gov.sg edu.sg ' +
    'com.my net.my org.my gov.my edu.my co.id or.id ac.id go.id web.id co.th in.th ac.th go.th ' +
    'com.ph net.ph org.ph gov.ph com.vn net.vn org.vn gov.vn co.in net.in org.in gov.in ac.in firm.in gen.in ind.in ' +
    'com.pk net.pk org.pk gov.pk com.bd com.np com.lk co.il org.il net.il ac.il gov.il ' +
    'com.tr net.tr org.tr gov.tr edu.tr com.sa net.sa org.sa gov.sa com.eg com.qa com.kw com.bh com.om ' +
    'co.ae net.ae org.ae gov.ae co.za org.za net.za gov.za ac.za web.za co.ke or.ke co.tz co.ug com.ng ' +
    'com.br net.br org.br gov.br edu.br com.ar net.ar org.ar gob.ar com.mx net.mx org.mx gob.mx ' +
    'com.co net.co org.co gov.co com.pe gob.pe com.ve com.uy com.py com.ec com.bo com.cl gob.cl ' +
    'com.ua net.ua org.ua gov.ua com.ru net.ru org.ru com.pl net.pl org.pl gov.pl ' +
    'co.at or.at gv.at ac.at com.gr com.cy com.mt com.es org.es gob.es com.pt gov.pt co.hu co.it gov.it ' +
    'github.io gitlab.io herokuapp.com appspot.com blogspot.com cloudfront.net azurewebsites.net ' +
    'netlify.app vercel.app pages.dev workers.dev web.app firebaseapp.com s3.amazonaws.com ' +
    'elasticbeanstalk.com compute.amazonaws.com fly.dev onrender.com ngrok.io'
  ).split(' '),
);

/** Lower-case, without a trailing dot (`Example.COM.` and `example.com` are the same host). */
export function normalizeHost(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Whether `name` is a syntactically valid DNS name (LDH labels; `_` tolerated as in practice). */
export function isDnsName(name: string): boolean {
  const n = normalizeHost(name);
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((l) => LABEL.test(l));
}

/** Whether a wildcard's base (`example.com` in `*.example.com`) is a public suffix it must not span. */
export function isPublicSuffix(base: string): boolean {
  return !base.includes('.') || MULTI_LABEL_SUFFIXES.has(base);
}

/**
 * Whether a presented dNSName is an acceptable pattern: plain names, or `*` as the whole
 * left-most label over at least two labels that are not a public suffix (RFC 6125 §6.4.3,
 * CA/B BR 3.2.2.6).
 */
export function isValidPresentedDnsName(presented: string): boolean {
  const p = normalizeHost(presented);
  if (!p.includes('*')) return isDnsName(p);
  if (!p.startsWith('*.')) return false;
  const base = p.slice(2);
  if (base.includes('*') || !isDnsName(base)) return false;
  return !isPublicSuffix(base);
}

/**
 * A reference host name in the form certificates carry it: IDNA 2008 / UTS #46 A-labels (from
 * the maintained `tr46`), lower case, no trailing dot. Undefined when it is not a host name:
 * invalid IDNA, a `*`, or a final label that is numeric (`010.0.0.1`, `1.2.3.4.5`), which
 * resolvers may read as an IPv4 address while no IP SAN should match it.
 */
export function referenceHost(reference: string): string | undefined {
  if (reference.includes('*')) return undefined;
  const ascii = toASCII(reference, {
    checkBidi: true,
    checkHyphens: false,
    checkJoiners: true,
    useSTD3ASCIIRules: false,
    transitionalProcessing: false,
    verifyDNSLength: false,
  });
  if (ascii === null) return undefined;
  const host = normalizeHost(ascii);
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (/^(\d+|0x[0-9a-f]*)$/.test(last)) return undefined;
  return isDnsName(host) ? host : undefined;
}

/** RFC 6125 matching of one (already normalised) reference host against one presented dNSName. */
function dnsNameMatches(r: string, presented: string): boolean {
  const p = normalizeHost(presented);
  if (!isValidPresentedDnsName(p)) return false;
  if (!p.startsWith('*.')) return r === p;
  const dot = r.indexOf('.');
  // The wildcard covers exactly one non-empty label.
  return dot > 0 && r.slice(dot + 1) === p.slice(2);
}

/**
 * Whether the reference host matches any presented dNSName. The one host-name matcher of
 * mtlskit: verifyChain and diagnose both use it.
 */
export function matchHostname(reference: string, dnsNames: readonly string[]): boolean {
  const r = referenceHost(reference);
  return r !== undefined && dnsNames.some((p) => dnsNameMatches(r, p));
}

/**
 * {@link matchHostname} over a DER GeneralNames value, scanned in place: only a dNSName
 * whose bytes equal the reference (or its wildcard form) becomes a string.
 */
export function matchHostnameInSan(reference: string, sanDer: Uint8Array | undefined): boolean {
  const r = referenceHost(reference);
  if (r === undefined || sanDer === undefined) return false;
  const dot = r.indexOf('.');
  const index = indexGeneralNames(sanDer);
  const { count, tags, starts, ends } = index;
  // A SAN can only match at the reference's length or as `*` + its parent domain (either
  // with a trailing dot): every other name costs one comparison, and the kernel passes over
  // every name that is not equal (without case) to one of the two.
  const exact = r.length;
  const wild = dot > 0 ? r.length - dot + 1 : -2;
  const tail = dot > 0 ? r.slice(dot) : '';
  for (
    let k = nextNameCandidate(index, 0, r, tail);
    k < count;
    k = nextNameCandidate(index, k + 1, r, tail)
  ) {
    if (tags[k] !== 0x82) continue;
    const start = starts[k]!;
    const end = ends[k]!;
    const n = end - start;
    if (n !== exact && n !== exact + 1 && n !== wild && n !== wild + 1) continue;
    let e = end;
    if (e > start && sanDer[e - 1] === 0x2e) e--; // a trailing dot names the same host
    const wildcard = e - start > 2 && sanDer[start] === 0x2a && sanDer[start + 1] === 0x2e;
    const from = wildcard ? start + 1 : start;
    const target = wildcard ? (dot > 0 ? dot : -1) : 0;
    if (target < 0 || e - from !== r.length - target) continue;
    let same = true;
    for (let i = from, j = target; i < e && same; i++, j++) {
      let b = sanDer[i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      same = b === r.charCodeAt(j);
    }
    if (same && dnsNameMatches(r, latin1At(sanDer, start, end))) return true;
  }
  return false;
}

/**
 * Whether a reference IP (text) equals one of the IP SAN byte strings. An IPv4-mapped IPv6
 * reference (`::ffff:10.1.2.3`, how a dual-stack socket reports an IPv4 peer) matches the
 * IPv4 SAN too.
 */
export function matchIp(reference: string, ipSans: readonly Uint8Array[]): boolean {
  const ref = parseIp(reference);
  if (!ref) return false;
  const v4 = unmapIpv4(ref);
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
  return ipSans.some((b) => same(b, ref) || (v4 !== undefined && same(b, v4)));
}

/**
 * URI matching for SPIFFE IDs and other URI SANs: scheme and authority compare without case,
 * the rest exactly (SPIFFE paths are case-sensitive).
 */
export function matchUri(reference: string, uris: readonly string[]): boolean {
  const norm = (u: string) => {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(u);
    return m ? `${m[1]!.toLowerCase()}://${m[2]!.toLowerCase()}${m[3]}` : u;
  };
  const r = norm(reference);
  return uris.some((u) => norm(u) === r);
}

/** Mailbox matching: local part exactly, domain without case. */
export function matchEmail(reference: string, emails: readonly string[]): boolean {
  const split = (e: string) => {
    const at = e.lastIndexOf('@');
    return at < 0 ? undefined : { local: e.slice(0, at), domain: e.slice(at + 1).toLowerCase() };
  };
  const r = split(reference);
  if (!r) return false;
  return emails.some((e) => {
    const s = split(e);
    return s !== undefined && s.local === r.local && s.domain === r.domain;
  });
}
