import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// One entry per integration, so an app pays only for what it imports (`/https` does not
// load undici).
export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    undici: 'src/undici.ts',
    https: 'src/https.ts',
    server: 'src/server.ts',
    file: 'src/file.ts',
  }),
);
