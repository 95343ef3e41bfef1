import { draw } from './time-validate.js';

/**
 * The renewal policy without option validation, for callers that validated once up front
 * (the tracker computes this for every certificate). All times are epoch ms; see
 * computeRenewalTime for the rules.
 */
export function renewalPoint(
  notBefore: number,
  notAfter: number,
  now: number,
  fraction: number,
  jitter: number,
  random: () => number,
  renewAfter: number | undefined,
  renewBefore: number | undefined,
): number {
  const lifetime = notAfter - notBefore;
  const afterOk = renewAfter !== undefined && renewAfter >= notBefore && renewAfter < notAfter;
  const beforeOk = renewBefore !== undefined && renewBefore >= notBefore && renewBefore < notAfter;
  let at: number;
  if (afterOk && beforeOk && renewAfter <= renewBefore) {
    at = renewAfter + draw(random) * (renewBefore - renewAfter);
  } else if (afterOk && !(beforeOk && renewBefore < renewAfter)) {
    at = renewAfter;
  } else {
    at = notBefore + lifetime * (fraction - draw(random) * jitter);
    if (beforeOk && !afterOk && at > renewBefore) {
      at = Math.max(notBefore, renewBefore - draw(random) * jitter * lifetime);
    }
  }
  return Math.max(Math.floor(at), now);
}
