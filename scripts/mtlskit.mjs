// `npx -y pnpm@10 mtlskit <args>` from a clone. pnpm runs root scripts from the repository
// root, so relative paths are resolved from INIT_CWD (where the user stands). The built CLI
// (packages/cli/dist) starts in a fraction of a second; when it is missing or older than any
// package's sources, the sources run through tsx in this same process (no second node).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtIsCurrent, repoRoot } from './built-is-current.mjs';

const cli = join(repoRoot, 'packages', 'cli');
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
// `pnpm mtlskit -- doctor …` passes the `--` through; the CLI drops a leading one too.
if (process.argv[2] === '--') process.argv.splice(2, 1);

if (builtIsCurrent()) {
  await import(pathToFileURL(join(cli, 'dist', 'bin.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  // The root tsconfig maps @mtlskit/* to packages/*/src, so nothing needs building.
  register({ tsconfig: join(repoRoot, 'tsconfig.json') });
  await import(pathToFileURL(join(cli, 'src', 'bin.ts')).href);
}
