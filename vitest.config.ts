import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Workspace packages resolve to their TypeScript sources so tests never need a prior build.
export default defineConfig({
  resolve: {
    alias: [
      // `@mtlskit/<pkg>/<entry>` → packages/<pkg>/src/<entry>.ts, `@mtlskit/<pkg>` → its src/index.ts.
      { find: /^@mtlskit\/([a-z-]+)\/([a-z-]+)$/, replacement: `${pkg('')}$1/src/$2.ts` },
      { find: /^@mtlskit\/([a-z-]+)$/, replacement: `${pkg('')}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time, also on a 2-core box (vitest's default would be one): most of
    // the suite waits on sockets, subprocesses and timers, not the CPU, and the three Node
    // versions of CI must fit in 30 minutes.
    maxWorkers: 2,
    // In CI a JSON report is written too, so .ci/run can print one `N passed, N failed` line
    // (VITEST_REPORT: one report per Node version, see scripts/ci/test-matrix.mjs).
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.VITEST_REPORT ?? '.tmp/vitest-report.json' }]]
      : ['default'],
  },
});
