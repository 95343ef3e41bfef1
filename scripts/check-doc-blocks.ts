/**
 * Type-checks every ```ts / ```typescript block of the hand-written docs, so that a doc
 * never shows an API that does not exist (`pnpm docs:check`).
 *
 * Each block becomes its own module in `.tmp/doc-blocks/` (inside the repo, so the root
 * tsconfig `paths` map `@mtlskit/*` to the sources) and one `tsc -p` run checks them all.
 * Errors are reported against the Markdown file and line they came from.
 *
 * Rules for authors: a block is a complete ES module (imports included; top-level await is
 * fine); placeholders are declared with `declare const x: T;`; a block that is deliberately
 * not compilable is fenced ```ts nocheck (sparingly, never to hide a wrong API). Blocks in
 * other languages are not checked. docs/api/** and docs/troubleshooting/** are generated
 * and skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One extracted code block. */
export interface DocBlock {
  /** Markdown file, relative to the repo root, with `/` separators. */
  file: string;
  /** 1-based index of the block among the checked blocks of its file. */
  index: number;
  /** 1-based line of the first code line in the Markdown file. */
  line: number;
  code: string;
  /** Fenced `ts nocheck`. */
  nocheck: boolean;
}

const CHECKED = new Set(['ts', 'typescript', 'mts', 'tsx']);
const GENERATED = ['docs/api/', 'docs/troubleshooting/'];
/** Lines written before a block's code in its .ts file (the provenance comment). */
const HEADER_LINES = 1;

/** Finds the Markdown files whose blocks are checked, relative to `root`. */
export function listDocFiles(root: string): string[] {
  const out: string[] = [];
  if (existsSync(join(root, 'README.md'))) out.push('README.md');
  const walk = (dir: string): void => {
    if (!existsSync(join(root, dir))) return;
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (GENERATED.some((g) => `${rel}/`.startsWith(g))) continue;
      const st = statSync(join(root, rel));
      if (st.isDirectory()) walk(rel);
      else if (name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  for (const group of ['packages', 'examples']) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group)).sort()) {
      const rel = `${group}/${name}/README.md`;
      if (existsSync(join(root, rel))) out.push(rel);
    }
  }
  return out;
}

/** Extracts the fenced code blocks of one Markdown text that are TypeScript. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = '', fence = '```', lang = '', rest = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trimStart().startsWith(fence) && l.trim() === fence.padEnd(l.trim().length, fence[0])) break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l);
    }
    if (CHECKED.has(lang.toLowerCase())) {
      index++;
      blocks.push({ file, index, line: i + 2, code: body.join('\n'), nocheck: /\bnocheck\b/.test(rest) });
    }
    i = j;
  }
  return blocks;
}

function slug(file: string): string {
  return file.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
}

interface Written {
  block: DocBlock;
  path: string;
}

/**
 * Bare module names imported by the blocks that this workspace does not install (axios,
 * prom-client…). They get a shorthand ambient declaration, so the third-party half of such
 * a block is `any` while its mtlskit half is still checked.
 */
export function missingModules(root: string, blocks: readonly DocBlock[]): string[] {
  const names = new Set<string>();
  for (const b of blocks) {
    if (b.nocheck) continue;
    for (const m of b.code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('@mtlskit/')) continue;
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      // Looked up the way tsc will from .tmp/doc-blocks: node_modules folders from the root
      // upwards (require.resolve under tsx also finds pnpm's hidden .pnpm/node_modules, which
      // tsc does not, e.g. axios installed only as a devDependency of one package).
      let found = false;
      for (let dir = root; !found; dir = dirname(dir)) {
        found =
          existsSync(join(dir, 'node_modules', pkg)) || existsSync(join(dir, 'node_modules', '@types', pkg));
        if (dirname(dir) === dir) break;
      }
      if (!found) names.add(spec);
    }
  }
  return [...names].sort();
}

/** Writes the checked blocks and the tsconfig into `outDir`; returns what was written. */
export function writeBlocks(
  outDir: string,
  blocks: readonly DocBlock[],
  untyped: readonly string[] = [],
): Written[] {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const written: Written[] = [];
  for (const block of blocks) {
    if (block.nocheck) continue;
    const path = join(outDir, `${slug(block.file)}-${block.index}.ts`);
    // `export {}` makes every block a module even without imports: top-level await works
    // and names never clash between blocks.
    writeFileSync(path, `// ${block.file}:${block.line}\n${block.code}\nexport {};\n`);
    written.push({ block, path });
  }
  if (untyped.length > 0) {
    const decls = untyped.map((m) => `declare module '${m}';`).join('\n');
    writeFileSync(join(outDir, 'untyped-modules.d.ts'), `// Not installed in this workspace.\n${decls}\n`);
  }
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
    include: ['*.ts', '*.d.ts'],
  };
  writeFileSync(join(outDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return written;
}

/** Runs every step; returns the process exit code. */
export function main(root: string): number {
  const outDir = join(root, '.tmp', 'doc-blocks');
  const blocks = listDocFiles(root).flatMap((f) => extractBlocks(f, readFileSync(join(root, f), 'utf8')));
  const untyped = missingModules(root, blocks);
  const written = writeBlocks(outDir, blocks, untyped);
  const skipped = blocks.filter((b) => b.nocheck);
  const files = new Set(blocks.map((b) => b.file)).size;
  if (written.length === 0) {
    console.log(`docs:check: no TypeScript blocks found (${files} files).`);
    return 0;
  }
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const byPath = new Map(written.map((w) => [resolve(w.path), w.block]));
  const errors: string[] = [];
  const failedBlocks = new Set<DocBlock>();
  for (const raw of `${run.stdout}${run.stderr}`.split('\n')) {
    if (raw.trim() === '') continue;
    const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(raw);
    const block = m === null ? undefined : byPath.get(resolve(root, m[1]!));
    if (m === null || block === undefined) {
      // Continuation lines of a multi-line message, or an error outside the blocks.
      errors.push(raw.startsWith(' ') ? raw : `  ${raw}`);
      continue;
    }
    failedBlocks.add(block);
    const line = block.line + Number(m[2]) - 1 - HEADER_LINES;
    errors.push(`${block.file}:${line}:${m[3]} (block ${block.index}) ${m[4]}`);
  }
  if (run.status !== 0 && errors.length === 0) errors.push(`tsc exited with ${String(run.status)}`);
  const summary =
    `${written.length} blocks checked in ${files} files, ${skipped.length} marked nocheck` +
    (untyped.length > 0 ? `, untyped third-party modules: ${untyped.join(', ')}` : '');
  if (run.status === 0) {
    console.log(`docs:check: ${summary}: all compile.`);
    return 0;
  }
  console.error(errors.join('\n'));
  console.error(
    `docs:check: ${summary}: ${failedBlocks.size} blocks fail (sources in ${relative(root, outDir).split(sep).join('/')}/).`,
  );
  return 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
}
