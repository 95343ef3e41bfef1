import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Workspace packages resolve to their TypeScript sources so tests never need a prior build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@mtlskit\/core\/testing$/, replacement: pkg('core/src/testing.ts') },
      { find: /^@mtlskit\/(core|node-adapter|agent|testkit|cli)$/, replacement: `${pkg('')}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // In CI a JSON report is written too, so .ci/run can print one `N passed, N failed` line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]]
      : ['default'],
  },
});
