import { EKU_NAMES, OID } from '../../x509/oids.js';
import type { ChainPurpose } from '../chain-verdict.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext } from '../validate/path-failure.js';

const PURPOSE_OID: Record<Exclude<ChainPurpose, 'any'>, string> = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
};

function ekuOids(c: ChainCert): string[] | undefined {
  const e = c.d.extensions.extendedKeyUsage;
  if (!e) return undefined;
  const back = new Map(Object.entries(EKU_NAMES).map(([o, n]) => [n, o]));
  return e.map((n) => back.get(n) ?? n);
}

/** Purpose: extended key usage of the leaf and of intermediate CAs; key usage of the leaf. */
export function checkPurpose(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const n = path.length;
  const top = n - 1;
  // 5. Purpose: extended key usage of the leaf and of intermediate CAs; key usage of the leaf.
  if (ctx.purpose !== 'any') {
    const want = PURPOSE_OID[ctx.purpose];
    for (let i = 0; i < Math.max(1, top); i++) {
      const ekus = ekuOids(path[i]!);
      if (!ekus) continue;
      const anyEku = ekus.includes(OID.anyExtendedKeyUsage);
      // CA/B BR 7.1.2.7.10: anyExtendedKeyUsage is forbidden in a TLS leaf (webpki profile);
      // RFC 5280 §4.2.1.12 lets it stand for every purpose, and CAs may carry it in both.
      const leafRule = i === 0 && ctx.profile === 'webpki';
      const ok = leafRule ? ekus.includes(want) && !anyEku : ekus.includes(want) || anyEku;
      if (!ok) {
        const listed = path[i]!.info.extendedKeyUsage.join(', ');
        const f = fail(
          'EXTENDED_KEY_USAGE',
          path,
          i,
          `is not allowed for ${ctx.purpose}: its extendedKeyUsage lists ${listed}${leafRule && anyEku ? " (anyExtendedKeyUsage is not accepted in a TLS leaf: CA/B BR 7.1.2.7.10, webpki profile; Node's TLS stack would accept it)" : ''}. Issue it with ${ctx.purpose}${leafRule && anyEku ? ' only' : ''}.`,
        );
        if (leafRule && anyEku && ekus.includes(want)) f.profileRule = 'CA/B BR 7.1.2.7.10';
        return f;
      }
    }
    const leafKu = path[0]!.d.extensions.keyUsage;
    if (
      n > 1 &&
      leafKu &&
      !leafKu.some((u) => u === 'digitalSignature' || u === 'keyEncipherment' || u === 'keyAgreement')
    ) {
      return fail(
        'KEY_USAGE',
        path,
        0,
        `cannot be used for TLS: its keyUsage (${leafKu.join(', ')}) has no digitalSignature. Issue it with digitalSignature.`,
      );
    }
  }

  return undefined;
}
