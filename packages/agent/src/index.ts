export { idempotencyKey, idempotencyKeyOfCsr } from './enrollment/idempotency-key.js';
