import type { Options } from 'tsup';

/**
 * The build every package shares: ESM + CJS for Node 20, with `.d.ts` for `import` and
 * `.d.cts` for `require` (each `exports` condition points at its own). Entries share
 * chunks (`splitting`), so a class reached through two entry points is one class.
 */
export function packageBuild(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false } },
    tsconfig: 'tsconfig.build.json',
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    splitting: Object.keys(entry).length > 1,
  };
}

/** An executable: ESM only, no type declarations (nothing imports a bin). */
export function binBuild(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm'],
    dts: false,
    tsconfig: 'tsconfig.build.json',
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    splitting: false,
  };
}
