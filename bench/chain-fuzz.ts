// Stress test of verifyChain with mutated certificate material: bit flips, truncations,
// insertions, length-byte damage and PEM text damage of a valid leaf/intermediate/root
// chain, fed as leaf, intermediate, trust anchor or CRL. Every input must end in a verdict
// or an MtlsError, never another exception or a hang. `--count N` (default 100,000).
import { pathToFileURL } from 'node:url';
import { verifyChain } from '../packages/core/src/chain/verify-chain.js';
import { createCertificateAuthority, isMtlsError } from '../packages/core/src/index.js';
import { encodePem } from '../packages/core/src/pem/pem-blocks.js';
import { seededRandom } from './lib/seeded-random.js';
import type { BenchRow } from './lib/types.js';

/** One mutation of `der`. */
export function mutateDer(der: Uint8Array, rnd: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rnd() * n);
  const out = Uint8Array.from(der);
  switch (pick(7)) {
    case 0: {
      const flips = 1 + pick(4);
      for (let i = 0; i < flips; i++) {
        const at = pick(out.length);
        out[at] = out[at]! ^ (1 << pick(8));
      }
      return out;
    }
    case 1:
      return out.subarray(0, pick(out.length));
    case 2: {
      const at = pick(out.length);
      const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      const r = new Uint8Array(out.length + extra.length);
      r.set(out.subarray(0, at));
      r.set(extra, at);
      r.set(out.subarray(at), at + extra.length);
      return r;
    }
    case 3: {
      // Damage a length octet (the byte after a tag-looking byte).
      for (let tries = 0; tries < 8; tries++) {
        const i = pick(out.length - 1);
        if (out[i] === 0x30 || out[i] === 0x04 || out[i] === 0x03 || out[i] === 0xa3) {
          out[i + 1] = [0x80, 0x81, 0x84, 0xff, 0x00, out[i + 1]! + 1][pick(6)]!;
          break;
        }
      }
      return out;
    }
    case 4: {
      const at = pick(out.length);
      const len = pick(Math.min(64, out.length - at));
      return Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + len)]);
    }
    case 5: {
      // Splice a slice of the certificate into itself (nested structures, duplicates).
      const a = pick(out.length);
      const b = pick(out.length);
      const slice = out.subarray(Math.min(a, b), Math.max(a, b)).slice(0, 200);
      const at = pick(out.length);
      return Uint8Array.from([...out.subarray(0, at), ...slice, ...out.subarray(at)]);
    }
    default: {
      for (let i = 0; i < 3; i++) out[pick(out.length)] = [0x00, 0xff, 0x80, 0x7f][pick(4)]!;
      return out;
    }
  }
}

function mutatePem(pem: string, rnd: () => number): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  const chars = [...pem];
  switch (pick(4)) {
    case 0:
      chars[pick(chars.length)] = '!#-=A\n '[pick(7)]!;
      return chars.join('');
    case 1:
      return pem.slice(0, pick(pem.length));
    case 2:
      return pem.replace('-----END CERTIFICATE-----', '-----END CRL-----');
    default:
      return pem + pem.slice(0, pick(pem.length));
  }
}

export interface FuzzStats {
  inputs: number;
  verdicts: number;
  okVerdicts: number;
  mtlsErrors: number;
  /** Inputs that ended in anything else; must be empty. */
  crashes: { seed: number; error: string }[];
  slowestMs: number;
}

/** Runs `count` mutated inputs through verifyChain. */
export async function fuzzChain(count: number, seed = 1): Promise<FuzzStats> {
  const root = await createCertificateAuthority({ subject: { commonName: 'Fuzz Root' } });
  const inter = await root.createIntermediate({ subject: { commonName: 'Fuzz ICA' } });
  const leaf = await inter.issue({
    subject: { commonName: 'fuzz' },
    profile: 'both',
    dnsNames: ['fuzz.example'],
    ipAddresses: ['10.0.0.1'],
  });
  const parts = { leaf: leaf.certificate.der, inter: inter.certificate.der, root: root.certificate.der };
  const stats: FuzzStats = {
    inputs: 0,
    verdicts: 0,
    okVerdicts: 0,
    mtlsErrors: 0,
    crashes: [],
    slowestMs: 0,
  };
  for (let i = 0; i < count; i++) {
    const s = seed * 1_000_003 + i;
    const rnd = seededRandom(s);
    const target = (['leaf', 'inter', 'root', 'leaf', 'leaf'] as const)[Math.floor(rnd() * 5)]!;
    const asPem = rnd() < 0.3;
    const der = mutateDer(parts[target], rnd);
    const damaged: string | Uint8Array = asPem ? mutatePem(encodePem('CERTIFICATE', der), rnd) : der;
    const input = {
      leaf: parts.leaf as string | Uint8Array,
      inter: parts.inter as string | Uint8Array,
      root: parts.root as string | Uint8Array,
    };
    input[target] = damaged;
    const t0 = performance.now();
    try {
      const v = await verifyChain({
        purpose: 'any',
        leaf: input.leaf,
        intermediates: [input.inter],
        trustAnchors: [input.root],
        hostname: 'fuzz.example',
        ...(rnd() < 0.05 ? { crls: damaged instanceof Uint8Array ? damaged : 'x' } : {}),
      });
      if (typeof v.ok !== 'boolean') throw new Error('verdict without ok');
      stats.verdicts++;
      if (v.ok) stats.okVerdicts++;
    } catch (e) {
      if (isMtlsError(e)) stats.mtlsErrors++;
      else stats.crashes.push({ seed: s, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
    stats.slowestMs = Math.max(stats.slowestMs, performance.now() - t0);
    stats.inputs++;
  }
  return stats;
}

function countArg(): number {
  const i = process.argv.indexOf('--count');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 100_000;
  if (!Number.isInteger(n) || n <= 0) throw new Error('--count needs a positive whole number');
  return n;
}

export async function run(count = 100_000): Promise<BenchRow[]> {
  const t0 = performance.now();
  const s = await fuzzChain(count);
  const secs = (performance.now() - t0) / 1000;
  const bench = 'chain-fuzz';
  return [
    { bench, metric: 'mutated inputs', value: s.inputs, unit: 'count' },
    {
      bench,
      metric: 'verdicts',
      value: s.verdicts,
      unit: 'count',
      note: `${s.okVerdicts} still valid (mutation in ignored bytes)`,
    },
    { bench, metric: 'MtlsErrors', value: s.mtlsErrors, unit: 'count' },
    {
      bench,
      metric: 'other exceptions (must be 0)',
      value: s.crashes.length,
      unit: 'count',
      note: s.crashes[0] ? `seed ${s.crashes[0].seed}: ${s.crashes[0].error}` : undefined,
    },
    { bench, metric: 'slowest input', value: Number(s.slowestMs.toFixed(1)), unit: 'ms' },
    { bench, metric: 'throughput', value: Math.round(s.inputs / secs), unit: 'inputs/s' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const rows = await run(countArg());
  console.table(rows);
  if (rows[3]!.value > 0) process.exitCode = 1;
}
