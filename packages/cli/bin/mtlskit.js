#!/usr/bin/env node
// The `mtlskit` bin. It is a committed file rather than dist/bin.js itself because pnpm links
// bins at install time, before a clone has built dist/ (it warned "Failed to create bin").
import('../dist/bin.js').catch((e) => {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    process.stderr.write(
      'mtlskit: the CLI is not built in this checkout. Run `npx -y pnpm@10 build`, or use `npx -y pnpm@10 mtlskit …` from the clone.\n',
    );
    process.exitCode = 2;
    return;
  }
  throw e;
});
