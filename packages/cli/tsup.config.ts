import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// Splitting keeps `mtlskit demo`'s heavy imports (agent, testkit, undici) in a chunk that
// only that command loads, so the other commands start faster.
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }),
  splitting: true,
  shims: true,
});
