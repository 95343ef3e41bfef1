// Runs every benchmark in bench/ (each exports `run(): Promise<BenchRow[]>`) in this one
// process and prints one table. Figures are ratios against baselines measured in the same
// run wherever the benchmark has a baseline; nothing here is a pass/fail check.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow } from './lib/types.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(dir))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { run?: () => Promise<BenchRow[]> };
  if (typeof mod.run !== 'function') continue;
  process.stderr.write(`bench: ${file} …\n`);
  const started = performance.now();
  try {
    rows.push(...(await mod.run()));
  } catch (e) {
    rows.push({
      bench: file.replace(/\.ts$/, ''),
      metric: 'FAILED',
      value: Number.NaN,
      unit: '',
      note: String(e),
    });
  }
  process.stderr.write(`bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const fmt = (v: number) =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
const table = rows.map((r) => ({
  bench: r.bench,
  metric: r.metric,
  value: fmt(r.value),
  unit: r.unit,
  note: r.note ?? '',
}));
const widths = (['bench', 'metric', 'value', 'unit', 'note'] as const).map((k) =>
  Math.max(k.length, ...table.map((r) => r[k].length)),
);
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
console.log(line(['bench', 'metric', 'value', 'unit', 'note']));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table) console.log(line([r.bench, r.metric, r.value, r.unit, r.note]));
