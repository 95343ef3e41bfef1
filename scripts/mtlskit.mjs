// `npx -y pnpm@10 mtlskit <args>` from a clone. pnpm runs root scripts from the repository
// root, so relative paths are resolved from INIT_CWD (where the user stands). The built CLI
// (packages/cli/dist) starts in a fraction of a second; when it is missing or older than any
// package's sources, the sources run through tsx in this same process (no second node).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const packages = join(root, 'packages');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Whether every package's dist/ is at least as new as its src/ (and the CLI's bin exists). */
function builtIsCurrent() {
  if (mtime(join(packages, 'cli', 'dist', 'bin.js')) < 0) return false;
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    if (mtime(src) < 0) continue;
    const built = mtime(join(packages, name, 'dist', 'index.js'));
    if (built < 0 || built < newestMtime(src)) return false;
  }
  return true;
}

if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
// `pnpm mtlskit -- doctor …` passes the `--` through; the CLI drops a leading one too.
if (process.argv[2] === '--') process.argv.splice(2, 1);

if (builtIsCurrent()) {
  await import(pathToFileURL(join(packages, 'cli', 'dist', 'bin.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  // The root tsconfig maps @mtlskit/* to packages/*/src, so nothing needs building.
  register({ tsconfig: join(root, 'tsconfig.json') });
  await import(pathToFileURL(join(packages, 'cli', 'src', 'bin.ts')).href);
}
