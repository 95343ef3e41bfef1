import { defineConfig } from 'tsup';
import { binBuild, packageBuild } from '../../tsup.base.js';

// The two builds run side by side: the library's clean step leaves the bin's files alone.
export default defineConfig([
  { ...packageBuild({ index: 'src/index.ts' }), clean: ['**/*', '!bin.js', '!bin.js.map'] },
  binBuild({ bin: 'src/bin.ts' }),
]);
