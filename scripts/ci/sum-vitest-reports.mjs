#!/usr/bin/env node
// Prints one `N passed, N failed` line summed over the vitest JSON reports of every Node
// version; a report that is missing or unreadable counts as one failure.
// Usage: node scripts/ci/sum-vitest-reports.mjs .tmp/vitest-report.json .tmp/vitest-report-node22.json …
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    // A suite that failed to load has no failed test of its own: count it once.
    failed +=
      r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
  } catch {
    console.error(`no readable vitest report at ${file}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
