// Children save generations in a loop and are SIGKILLed at random moments, 200 times;
// after every kill the state must load as one whole, matching generation that is not
// older than the last save a child reported. The 1,000-kill version: bench/store-crash.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreCrashLoop } from '../fixtures/store-crash-driver.js';

const workDir = mkdtempSync(join(tmpdir(), 'mtlskit-store-crash-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('FileStore under SIGKILL', () => {
  it('always loads a matching key and certificate of one generation, never going backwards', async () => {
    const result = await runStoreCrashLoop({ kills: 200, workDir });
    expect(result.kills).toBe(200);
    // The kills really landed in both places: during start-up recovery and between saves.
    expect(result.killsDuringLoad).toBeGreaterThan(0);
    expect(result.killsDuringLoad).toBeLessThan(200);
    expect(result.savesReported).toBeGreaterThan(0);
    expect(result.finalGeneration).toBeGreaterThanOrEqual(result.savesReported > 0 ? 2 : 1);
  }, 240_000);
});
