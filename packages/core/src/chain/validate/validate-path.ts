import { checkRevocation } from '../crl/check-revocation.js';
import { checkLeafIdentity } from '../names/check-leaf-identity.js';
import { checkPathNameConstraints } from '../names/check-path-name-constraints.js';
import type { ChainCert } from '../path/chain-cert.js';
import { checkPolicies } from '../policy/check-policies.js';
import { checkCaChain, checkCriticalExtensions, checkStandalone } from '../profile/check-profile.js';
import { checkPurpose } from '../profile/check-purpose.js';
import { checkValidity } from '../profile/check-validity.js';
import { checkWebpki } from '../profile/check-webpki.js';
import type { PathFailure, ValidateContext } from './path-failure.js';

export { type PathFailure, roleOf, type ValidateContext } from './path-failure.js';

/** Validates a complete candidate path (leaf first, trust anchor last) per RFC 5280 §6.1. */
export async function validatePath(
  path: ChainCert[],
  ctx: ValidateContext,
): Promise<PathFailure | undefined> {
  return (
    (await checkStandalone(path, ctx)) ??
    checkValidity(path, ctx) ??
    checkCaChain(path, ctx) ??
    checkCriticalExtensions(path) ??
    checkPurpose(path, ctx) ??
    checkPathNameConstraints(path, ctx) ??
    checkPolicies(path, ctx) ??
    checkLeafIdentity(path, ctx) ??
    checkWebpki(path, ctx) ??
    (ctx.crls.length > 0 ? await checkRevocation(path, ctx) : undefined)
  );
}
