// Hostile PEM against a benign bundle of the same size (1 MiB), through splitPemBundle and
// parseCertificates: every hostile shape must cost at most 3× the benign bundle (finding 1 of
// issue 11: unterminated BEGIN lines made the old regex scan quadratic, 14 s per MiB).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isMtlsError, parseCertificates, splitPemBundle } from '../packages/core/src/index.js';
import type { BenchRow } from './lib/types.js';

const MIB = 1024 * 1024;
const ROUNDS = 7;

function median(fn: () => unknown): number {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    try {
      fn();
    } catch (e) {
      if (!isMtlsError(e)) throw e;
    }
    xs.push(performance.now() - t0);
  }
  return xs.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

export async function run(): Promise<BenchRow[]> {
  const roots = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
  const repeated = roots.repeat(Math.ceil(MIB / roots.length)).slice(0, MIB);
  const benign = repeated.slice(0, repeated.lastIndexOf('-----END CERTIFICATE-----\n') + 26);
  const hostile: Record<string, string> = {
    'BEGIN lines without END': '-----BEGIN CERTIFICATE-----\n'.repeat(MIB / 28),
    'BEGIN lines, then one END': `${'-----BEGIN CERTIFICATE-----\n'.repeat(MIB / 28 - 1)}-----END CERTIFICATE-----\n`,
    'bare BEGIN prefixes': '-----BEGIN '.repeat(MIB / 11),
    'blank lines in a block': `-----BEGIN CERTIFICATE-----\n${'\n'.repeat(MIB - 60)}-----END CERTIFICATE-----\n`,
  };
  const rows: BenchRow[] = [];
  for (const [entry, fn] of [
    ['splitPemBundle', splitPemBundle],
    ['parseCertificates', parseCertificates],
  ] as const) {
    const base = median(() => fn(benign));
    rows.push({
      bench: 'pem-hostile',
      metric: `${entry} benign 1 MiB roots bundle`,
      value: base,
      unit: 'ms',
    });
    for (const [name, text] of Object.entries(hostile)) {
      const t = median(() => fn(text));
      rows.push({
        bench: 'pem-hostile',
        metric: `${entry} ${name} / benign`,
        value: Number((t / base).toFixed(3)),
        unit: 'ratio',
        note: `${t.toFixed(1)} ms, median of ${ROUNDS}; must stay <= 3`,
      });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.table(await run());
}
