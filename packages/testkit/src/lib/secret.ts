import { randomBytes } from 'node:crypto';

/** A new allocation token `<id>.<secret>`: 8 random bytes of hex id, 32 of base64url secret. */
export function newAllocationToken(): string {
  return `${randomBytes(8).toString('hex')}.${randomBytes(32).toString('base64url')}`;
}
