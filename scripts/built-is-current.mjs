// Whether every package's build (dist/) is at least as new as its sources, so that the
// built code can stand in for the sources: `pnpm mtlskit` runs the built CLI then, and the
// getting-started test packs without building again.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const packages = join(repoRoot, 'packages');

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

/** True when packages/cli/dist/bin.js exists and no package's src/ or package.json is newer than its dist/. */
export function builtIsCurrent() {
  if (mtime(join(packages, 'cli', 'dist', 'bin.js')) < 0) return false;
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    if (mtime(src) < 0) continue;
    const built = mtime(join(packages, name, 'dist', 'index.js'));
    const inputs = Math.max(newestMtime(src), mtime(join(packages, name, 'package.json')));
    if (built < 0 || built < inputs) return false;
  }
  return true;
}
