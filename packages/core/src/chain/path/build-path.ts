import { type PathFailure, roleOf, type ValidateContext, validatePath } from '../validate/validate-path.js';
import { type ChainCert, keyIdsAgree, keyIdsDisagree } from './chain-cert.js';

/** The certificates path building may use. */
export interface CertPool {
  anchors: ReadonlySet<ChainCert>;
  /** Anchors and intermediates by normalised subject, anchors first. */
  bySubject: ReadonlyMap<string, readonly ChainCert[]>;
}

export type BuildResult = { ok: true; path: ChainCert[] } | { ok: false; failure: PathFailure };

// How telling a failure is: a complete path that fails a rule beats a broken link, which
// beats a path that simply ran out of issuers.
const RANK = { complete: 5, unsupported: 4, link: 3, depth: 2, missing: 1 } as const;

const who = (c: ChainCert) =>
  c.info.subject === '' ? `(empty subject, serial ${c.info.serialNumber})` : `"${c.info.subject}"`;

/**
 * Builds candidate paths depth-first from `leaf` to a trust anchor (RFC 4158 style: every
 * issuer with a matching name, AKI/SKI-matching and currently valid ones first, no
 * certificate or subject+key twice in one path) and validates each complete path until
 * one passes. Throws WorkLimitError when the budget runs out.
 */
export async function buildPath(leaf: ChainCert, pool: CertPool, ctx: ValidateContext): Promise<BuildResult> {
  let best: { rank: number; failure: PathFailure } | undefined;
  const record = (rank: number, failure: PathFailure, partial?: ChainCert[]) => {
    // A path that broke off is best explained by a certificate on it that is broken itself.
    const broken = partial?.findIndex((c) => c.problem !== undefined) ?? -1;
    if (broken >= 0) {
      const c = partial![broken]!;
      failure = {
        code: c.problem!.code,
        depth: broken,
        cert: c,
        message: `The ${broken === 0 ? 'leaf' : 'intermediate'} certificate ${who(c)} is not acceptable: ${c.problem!.message}. Re-issue it from a CA that follows RFC 5280.`,
      };
    }
    if (!best || rank > best.rank) best = { rank, failure };
  };
  // Signature results per (child, issuer key): 100 copies of one CA key cost one check.
  const sigCache = new Map<ChainCert, Map<string, Promise<string>>>();
  const checkLink = (child: ChainCert, parent: ChainCert): Promise<string> => {
    let m = sigCache.get(child);
    if (!m) {
      m = new Map();
      sigCache.set(child, m);
    }
    const k = parent.identity.slice(parent.identity.indexOf('\u0000'));
    let p = m.get(k);
    if (!p) {
      p = ctx.verify(parent, child.d.signatureAlgorithm, child.d.tbs, child.d.signature);
      m.set(k, p);
    }
    return p;
  };
  // Names from which some trust anchor can be reached by issuer links (one pass over the
  // pool): a candidate whose issuer name is not among them can never end in a valid path, so
  // its signature is not worth checking. This keeps "100 CAs of one name, none trusted" cheap.
  let reach: Set<string> | undefined;
  const leadsToAnchor = (c: ChainCert): boolean => {
    if (pool.anchors.has(c)) return true;
    // Common case first: issued by an anchor, no need for the whole set.
    if (pool.bySubject.get(c.issuerKey)?.some((x) => pool.anchors.has(x))) return true;
    if (!reach) reach = anchorReachableNames(pool);
    return reach.has(c.issuerKey);
  };
  const at = ctx.at.getTime();
  const validNow = (c: ChainCert) => c.d.notBefore.getTime() <= at && at <= c.d.notAfter.getTime();

  const dfs = async (path: ChainCert[]): Promise<ChainCert[] | undefined> => {
    const top = path[path.length - 1]!;
    if (pool.anchors.has(top)) {
      const f = await validatePath(path, ctx);
      if (!f) return path;
      record(RANK.complete, f);
      return undefined;
    }
    const depth = path.length - 1;
    if (depth > ctx.maxDepth) {
      record(
        RANK.depth,
        {
          code: 'DEPTH_EXCEEDED',
          depth,
          cert: top,
          message: `No trust anchor was reached within ${ctx.maxDepth} intermediate certificates (the chain goes on above ${who(top)}). Use a shorter chain or raise maxDepth.`,
        },
        path,
      );
      return undefined;
    }
    const named = pool.bySubject.get(top.issuerKey) ?? [];
    const fresh = named.filter((c) => !path.some((p) => p === c || p.identity === c.identity));
    const candidates = fresh.filter(leadsToAnchor);
    if (candidates.length === 0) {
      const dead = fresh[0];
      if (dead) {
        // Explain from one level up, as if the dead end had been walked into.
        const above = [...path, dead];
        const loops = (pool.bySubject.get(dead.issuerKey) ?? []).length > 0;
        record(RANK.missing, missingIssuer(above, loops, pool), above);
      } else record(RANK.missing, missingIssuer(path, named.length > 0, pool), path);
      return undefined;
    }
    const score = (c: ChainCert) =>
      (pool.anchors.has(c) ? 8 : 0) + (keyIdsAgree(top, c) ? 4 : 0) + (validNow(c) ? 2 : 0);
    candidates.sort((a, b) => score(b) - score(a));
    // Key identifiers are hints: a CA whose SKI differs from the AKI is tried after the
    // others, and still tried when another candidate linked but its branch failed (the only
    // valid path may run through a CA whose SKI was rewritten).
    const hinted = candidates.filter((c) => !keyIdsDisagree(top, c));
    const others = candidates.filter((c) => keyIdsDisagree(top, c));
    let linked = false;
    let mismatch: PathFailure | undefined;
    for (const cand of [...hinted, ...others]) {
      ctx.work.spend('pathCandidates');
      const role = pool.anchors.has(cand) ? 'trusted CA' : 'intermediate';
      const r = await checkLink(top, cand);
      if (r === 'unsupported') {
        record(
          RANK.unsupported,
          {
            code: 'UNSUPPORTED_ALGORITHM',
            depth,
            cert: top,
            message: `The signature of ${who(top)} (${top.d.signatureAlgorithm.name}) by the ${role} ${who(cand)} (${cand.d.publicKey.algorithm}${cand.d.publicKey.curve ? ` ${cand.d.publicKey.curve}` : ''}) uses an algorithm mtlskit cannot verify. Re-issue with RSA, ECDSA P-256/P-384/P-521 or Ed25519.`,
          },
          path,
        );
        continue;
      }
      if (r !== 'valid') {
        if (keyIdsAgree(top, cand)) {
          record(
            RANK.link,
            {
              code: 'BAD_SIGNATURE',
              depth,
              cert: top,
              message: `The signature of the ${roleOf(depth, path.length + 1)} ${who(top)} does not verify with the key of its issuer ${who(cand)}, although the key identifiers match: the certificate was altered or signed with another key. Re-issue it.`,
            },
            path,
          );
        } else {
          mismatch ??= keyMismatch(
            path,
            cand,
            role,
            keyIdsDisagree(top, cand)
              ? 'its key identifier differs from the one the certificate names'
              : 'its key did not sign the certificate',
          );
        }
        continue;
      }
      linked = true;
      const found = await dfs([...path, cand]);
      if (found) return found;
    }
    if (!linked && mismatch) record(RANK.link, mismatch, path);
    return undefined;
  };

  const found = await dfs([leaf]);
  if (found) return { ok: true, path: found };
  return { ok: false, failure: best!.failure };
}

function keyMismatch(path: ChainCert[], cand: ChainCert, role: string, why: string): PathFailure {
  const top = path[path.length - 1]!;
  const depth = path.length - 1;
  return {
    code: 'ISSUER_KEY_MISMATCH',
    depth,
    cert: top,
    missingIssuer: top.info.issuer,
    message: `The ${role} ${who(cand)} has the name of the issuer of ${who(top)} but not its key (${why}): the CA was probably regenerated under the same name. Deploy the CA certificate that actually issued it (SKI ${top.d.extensions.authorityKeyId ?? 'unknown'}), or re-issue the certificate from the current CA (SKI ${cand.d.extensions.subjectKeyId ?? 'unknown'}).`,
  };
}

function missingIssuer(path: ChainCert[], onlyLoops: boolean, pool: CertPool): PathFailure {
  const top = path[path.length - 1]!;
  const depth = path.length - 1;
  const issuer = top.info.issuer;
  if (top.selfIssued) {
    return {
      code: 'UNKNOWN_ISSUER',
      depth,
      cert: top,
      missingIssuer: issuer,
      message: `The chain ends at the self-signed certificate ${who(top)}, which is not a trust anchor. Add it to the trust anchors if you trust it, or use a certificate from a CA you trust.`,
    };
  }
  if (onlyLoops) {
    return {
      code: 'MISSING_INTERMEDIATE',
      depth,
      cert: top,
      missingIssuer: issuer,
      message: `The intermediates given sign each other in a loop and never reach a trust anchor above ${who(top)}. Add the certificate that links them to a trusted root, or trust the right root.`,
    };
  }
  const anchorNames = [...pool.anchors].flatMap((a) => a.d.subject.flat());
  const issuerAttrs = top.d.issuer.flat();
  const sharesOrg = issuerAttrs.some(
    (x) =>
      (x.type === 'O' || x.type === 'OU' || x.type === 'DC') &&
      anchorNames.some((y) => y.oid === x.oid && y.value.toLowerCase() === x.value.toLowerCase()),
  );
  // The leaf alone cannot tell an absent intermediate from a foreign root; an issued
  // intermediate, an AIA caIssuers pointer or an issuer from the trusted organisation
  // say "intermediate".
  if (depth > 0 || top.hasCaIssuers || sharesOrg) {
    return {
      code: 'MISSING_INTERMEDIATE',
      depth,
      cert: top,
      missingIssuer: issuer,
      message: `The issuer of ${who(top)}, "${issuer}", is missing: it is neither among the intermediates given nor a trust anchor. Send the intermediate certificate "${issuer}" with the chain (leaf first, then intermediates).`,
    };
  }
  return {
    code: 'UNKNOWN_ISSUER',
    depth,
    cert: top,
    missingIssuer: issuer,
    message: `${who(top)} was issued by "${issuer}", which is not a trusted CA and not among the intermediates given. Trust that CA, or if "${issuer}" is an intermediate, send it with the chain.`,
  };
}

function anchorReachableNames(pool: CertPool): Set<string> {
  const byIssuer = new Map<string, ChainCert[]>();
  const reach = new Set<string>();
  for (const list of pool.bySubject.values()) {
    for (const c of list) {
      if (pool.anchors.has(c)) reach.add(c.subjectKey);
      else {
        const l = byIssuer.get(c.issuerKey);
        if (l) l.push(c);
        else byIssuer.set(c.issuerKey, [c]);
      }
    }
  }
  const queue = [...reach];
  while (queue.length > 0) {
    const name = queue.pop()!;
    for (const c of byIssuer.get(name) ?? []) {
      if (!reach.has(c.subjectKey)) {
        reach.add(c.subjectKey);
        queue.push(c.subjectKey);
      }
    }
  }
  return reach;
}
