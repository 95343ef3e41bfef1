/**
 * One measured figure of a benchmark. Every `bench/*.ts` exports
 * `run(): Promise<BenchRow[]>`; `bench/run.ts` prints all rows as one table.
 */
export type BenchRow = {
  /** The bench file's name, e.g. `fleet-renewal`. */
  bench: string;
  /** What was measured, e.g. `busiest minute / average minute`. */
  metric: string;
  value: number;
  /** e.g. `ms`, `bytes`, `ratio`, `count`. */
  unit: string;
  note?: string;
};
