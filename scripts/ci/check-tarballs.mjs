#!/usr/bin/env node
// Every tarball in dist-packages/ (`pnpm pack:all`): `publint --strict`, arethetypeswrong
// (node10, node16 from CJS and ESM, bundler: attw's default "strict" profile), and a LICENSE
// and README.md inside. Usage: node scripts/ci/check-tarballs.mjs
import { basename, join } from 'node:path';
import { fail, filesOf, manifestOf, root, run, tarballs } from './lib.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
const problems = [];
for (const tgz of tarballs()) {
  const { name } = manifestOf(tgz);
  console.log(`\n::: ${name} (${basename(tgz)})`);
  const files = filesOf(tgz);
  for (const required of ['LICENSE', 'README.md']) {
    if (!files.includes(required))
      problems.push(`${name}: no ${required} in the tarball (add it to the package folder)`);
  }
  if (run(bin('publint'), ['--strict', tgz], { allowFail: true }).status !== 0)
    problems.push(`${name}: publint --strict`);
  if (
    run(bin('attw'), [tgz, '--format', 'table-flipped', '--profile', 'strict'], { allowFail: true })
      .status !== 0
  )
    problems.push(`${name}: arethetypeswrong`);
}
if (problems.length > 0) fail(`tarball checks failed:\n  ${problems.join('\n  ')}`);
console.log('\n✓ every tarball passes publint --strict and arethetypeswrong, with LICENSE and README.md');
