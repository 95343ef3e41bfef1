#!/usr/bin/env node
// Runs the whole vitest suite again on other Node versions, each from npm (`npx -y node@N`),
// one after the other (the box has 2 cores). Each run writes its own JSON report,
// .tmp/vitest-report-node<N>.json, which sum-vitest-reports.mjs adds up.
// Usage: node scripts/ci/test-matrix.mjs 22 24
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from './lib.mjs';

const versions = process.argv.slice(2);
if (versions.length === 0) versions.push('22', '24');
let status = 0;
for (const v of versions) {
  const report = join('.tmp', `vitest-report-node${v}.json`);
  rmSync(join(root, report), { force: true });
  console.log(`\n::: vitest on Node ${v}`);
  const started = Date.now();
  const r = run('npx', ['-y', `node@${v}`, join('node_modules', 'vitest', 'vitest.mjs'), 'run'], {
    allowFail: true,
    env: { CI: 'true', VITEST_REPORT: report },
  });
  console.log(`::: Node ${v}: exit ${r.status} in ${Math.round((Date.now() - started) / 1000)} s`);
  if (r.status !== 0) status = 1;
}
process.exit(status);
