#!/usr/bin/env node
// Installs the packed tarballs (dist-packages/*.tgz) with npm into scratch projects outside
// the repository, as a user would, and checks:
//   1. every package and every `exports` subpath loads from ESM (import) and CJS (require);
//   2. the README's APIs type-check (fixtures/readme-api.mts and .cts) plus an import of every
//      entry point, with module node16, lib ["es2023"] (no DOM) and skipLibCheck false;
//   3. `npx mtlskit --help` runs;
//   4. core's smoke test (parse, CSR, verify a chain) runs on Node, Bun and Deno (both from
//      npm), and the undici dispatcher works with undici 7 on this Node and undici 8 on Node 22.
// Usage: node scripts/ci/scratch-project.mjs [--skip-runtimes] [--skip-undici8] [--keep]
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, manifestOf, root, run, tarballs } from './lib.mjs';

const args = new Set(process.argv.slice(2));
const fixtures = join(root, 'scripts', 'ci', 'fixtures');
const npmQuiet = ['--no-audit', '--no-fund', '--loglevel=error'];
const dirs = [];

const tsconfig = {
  compilerOptions: {
    target: 'es2022',
    module: 'node16',
    moduleResolution: 'node16',
    lib: ['es2023'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['*.mts', '*.cts'],
};

/** A scratch npm project with `deps` (name → spec); the tarballs also as overrides. */
function project(label, deps, tgzDeps) {
  const dir = mkdtempSync(join(tmpdir(), `mtlskit-${label}-`));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `mtlskit-${label}`, private: true, dependencies: { ...tgzDeps, ...deps }, overrides: tgzDeps }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  console.log(`\n::: ${label}: npm install in ${dir}`);
  run('npm', ['install', ...npmQuiet], { cwd: dir });
  return dir;
}

const packages = tarballs().map((tgz) => ({ tgz, manifest: manifestOf(tgz) }));
const tgzDeps = Object.fromEntries(packages.map((p) => [p.manifest.name, `file:${p.tgz}`]));
const specs = packages.flatMap(({ manifest }) =>
  Object.keys(manifest.exports ?? { '.': null })
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? manifest.name : `${manifest.name}/${k.slice(2)}`)),
);

try {
  // 1–3: every tarball, this Node, undici 7.
  const dir = project(
    'scratch',
    { typescript: '~5.9.3', '@types/node': '^20.19.0', undici: '^7.30.2' },
    tgzDeps,
  );
  for (const f of [
    'readme-api.mts',
    'readme-api.cts',
    'dispatcher-undici.mts',
    'core-smoke.mjs',
    'dispatcher-smoke.mjs',
  ])
    copyFileSync(join(fixtures, f), join(dir, f));
  const names = specs.map((s, i) => [s, `m${i}`]);
  writeFileSync(
    join(dir, 'all-entries.mts'),
    names.map(([s, v]) => `export * as ${v} from '${s}';`).join('\n'),
  );
  writeFileSync(
    join(dir, 'all-entries.cts'),
    names.map(([s, v]) => `import * as ${v} from '${s}';`).join('\n') +
      `\nexport { ${names.map(([, v]) => v).join(', ')} };\n`,
  );
  const load = (how) =>
    `const specs = ${JSON.stringify(specs)};\nfor (const s of specs) {\n  const m = ${how};\n  if (Object.keys(m).length === 0) throw new Error(s + ' exports nothing');\n}\nconsole.log('${how.startsWith('await') ? 'ESM import' : 'CJS require'} ok: ' + specs.length + ' entry points');\n`;
  writeFileSync(join(dir, 'esm.mjs'), load('await import(s)'));
  writeFileSync(join(dir, 'cjs.cjs'), load('require(s)'));

  console.log(
    `\n::: type-check (module node16, lib es2023, no DOM, skipLibCheck false): ${specs.length} entry points + README APIs`,
  );
  run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.', '--listFilesOnly'], { cwd: dir, quiet: true });
  run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: dir });
  console.log('type-check ok');
  run('node', ['esm.mjs'], { cwd: dir });
  run('node', ['cjs.cjs'], { cwd: dir });

  console.log('\n::: npx mtlskit --help');
  const help = run('npx', ['mtlskit', '--help'], { cwd: dir, quiet: true });
  if (!/Usage: mtlskit/.test(help.stdout))
    fail(`npx mtlskit --help printed no usage:\n${help.stdout}${help.stderr}`);
  console.log(help.stdout.split('\n').slice(0, 3).join('\n'));

  console.log('\n::: core smoke and dispatcher (undici 7) on this Node');
  run('node', ['core-smoke.mjs'], { cwd: dir });
  run('node', ['dispatcher-smoke.mjs'], { cwd: dir });

  if (!args.has('--skip-runtimes')) {
    console.log('\n::: core smoke under Bun and Deno (from npm)');
    run('npx', ['-y', 'bun@1', 'core-smoke.mjs'], { cwd: dir });
    run('npx', ['-y', 'deno@2', 'run', '--allow-read', '--allow-env', 'core-smoke.mjs'], { cwd: dir });
  }

  if (!args.has('--skip-undici8')) {
    // 4: the dispatcher with the app's undici 8 (which needs Node >= 22.19).
    const nodeAdapter = packages.filter((p) =>
      ['@mtlskit/core', '@mtlskit/node-adapter'].includes(p.manifest.name),
    );
    const dir8 = project(
      'undici8',
      { typescript: '~5.9.3', '@types/node': '^22.0.0', undici: '^8.0.0' },
      Object.fromEntries(nodeAdapter.map((p) => [p.manifest.name, `file:${p.tgz}`])),
    );
    copyFileSync(join(fixtures, 'dispatcher-smoke.mjs'), join(dir8, 'dispatcher-smoke.mjs'));
    copyFileSync(join(fixtures, 'dispatcher-undici.mts'), join(dir8, 'dispatcher-undici.mts'));
    console.log('\n::: undici 8: type-check the dispatcher with undici 8 types, run it on Node 22');
    run(join(dir8, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: dir8 });
    run('npx', ['-y', 'node@22', 'dispatcher-smoke.mjs'], { cwd: dir8 });
  }
  console.log('\n✓ scratch projects: ESM + CJS loads, types (node16, es2023), mtlskit --help, runtimes');
} finally {
  if (!args.has('--keep')) for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
