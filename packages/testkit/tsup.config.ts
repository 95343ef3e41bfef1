import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// jose 6 is ESM-only: bundled in, so the CommonJS build loads on Node 20 without require(esm).
export default defineConfig({ ...packageBuild({ index: 'src/index.ts' }), noExternal: ['jose'] });
