#!/usr/bin/env node
// What an app pays for `createMtlsHttpsAgent` alone: bundles one import of it with esbuild
// (platform node, ESM; plain and minified) from the built node-adapter, once through the
// main entry and once through `@mtlskit/node-adapter/https`. Needs `pnpm build` first.
// Usage: node scripts/ci/bundle-size.mjs
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = fileURLToPath(new URL('../../packages/node-adapter/', import.meta.url));
const cases = [
  ['@mtlskit/node-adapter', './dist/index.js'],
  ['@mtlskit/node-adapter/https', './dist/https.js'],
];

async function size(file, minify) {
  const out = await build({
    stdin: {
      contents: `import { createMtlsHttpsAgent } from '${file}'; console.log(createMtlsHttpsAgent);`,
      resolveDir: pkgDir,
      sourcefile: 'entry.mjs',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify,
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0].contents.byteLength;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const [name, file] of cases) {
  if (!existsSync(new URL(file, `file://${pkgDir}`))) {
    console.error(`${file} is missing in packages/node-adapter: run \`pnpm build\` first.`);
    process.exit(1);
  }
  const [plain, min] = [await size(file, false), await size(file, true)];
  console.log(`createMtlsHttpsAgent from ${name}: ${kb(plain)} bundled, ${kb(min)} minified`);
}
