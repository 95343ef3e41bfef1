import type { MtlsError } from '@mtlskit/core';
import type { WorkloadApiSource } from '@mtlskit/spiffe';

/** Polls `check` until it returns true (real time). */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects a source's error events. */
export function collectErrors(source: WorkloadApiSource): MtlsError[] {
  const errors: MtlsError[] = [];
  source.on('error', (e) => errors.push(e));
  return errors;
}
