/**
 * How long before a certificate's `notAfter` connections that carry it are drained (graceful
 * GOAWAY: running calls finish, new ones go to a new connection): 10% of its lifetime (counted
 * from `notBefore` or from when it was first seen, whichever is later), at most
 * 10 minutes.
 */
export function drainMarginMs(lifetimeMs: number): number {
  return Math.max(0, Math.min(lifetimeMs * 0.1, 10 * 60_000));
}

/**
 * How long before `notAfter` connections that still carry the certificate are cut and an
 * identity without a successor is withdrawn: 5% of its lifetime, at most 30 s. The margin
 * absorbs timer and scheduling delays so nothing presents the certificate once it expired.
 */
export function cutMarginMs(lifetimeMs: number): number {
  return Math.max(0, Math.min(lifetimeMs * 0.05, 30_000));
}
