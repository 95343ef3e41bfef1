/**
 * How long before a certificate's `notAfter` connections that carry it are drained (graceful
 * GOAWAY: running calls finish, new ones go to a new connection): 10% of its lifetime, at most
 * 10 minutes, and at most half of the time it had left when first seen — CAs backdate
 * `notBefore` (CFSSL by 5 min, the dev CA by 1 min), which would otherwise make the margin
 * of a short certificate longer than its remaining life.
 */
export function drainMarginMs(lifetimeMs: number, remainingMs: number = lifetimeMs): number {
  return Math.max(0, Math.min(lifetimeMs * 0.1, 10 * 60_000, remainingMs * 0.5));
}

/**
 * How long before `notAfter` connections that still carry the certificate are cut and an
 * identity without a successor is withdrawn: 5% of its lifetime, at most 30 s. The margin
 * absorbs timer and scheduling delays so nothing presents the certificate once it expired.
 * At most a quarter of the time left when first seen (see {@link drainMarginMs}).
 */
export function cutMarginMs(lifetimeMs: number, remainingMs: number = lifetimeMs): number {
  return Math.max(0, Math.min(lifetimeMs * 0.05, 30_000, remainingMs * 0.25));
}
