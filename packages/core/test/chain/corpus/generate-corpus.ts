// Generates the mtlskit x509-limbo corpus: every clause of ./clauses.ts as valid/invalid
// twins, over several key types, with keys made fresh on every call.
import type { LimboSuite, LimboTestcase } from '../../../src/chain/run-limbo.js';
import type { KeyAlgorithm } from '../../../src/keys/key-pair.js';
import { type CorpusKey, newKey } from './build-cert.js';
import { buildCase } from './chain-spec.js';
import { CLAUSES, type Clause } from './clauses.js';

const ALGORITHMS: KeyAlgorithm[] = ['ECDSA-P256', 'RSA-2048', 'Ed25519', 'ECDSA-P384'];
const POOL = 5;

export interface CorpusCase extends LimboTestcase {
  /** The rule the case is about, e.g. "RFC 5280 §4.2.1.9". */
  clause: string;
}

/** Every clause, each over `perClause` key types (rotating through four). */
export async function generateCorpus(perClause = 2): Promise<{ suite: LimboSuite; cases: CorpusCase[] }> {
  const pools = new Map<KeyAlgorithm, CorpusKey[]>();
  for (const a of ALGORITHMS) pools.set(a, await Promise.all(Array.from({ length: POOL }, () => newKey(a))));
  const cases: CorpusCase[] = [];
  for (const [ci, clause] of CLAUSES.entries()) {
    for (let v = 0; v < perClause; v++) {
      const alg = ALGORITHMS[(ci + v) % ALGORITHMS.length]!;
      const pool = pools.get(alg)!;
      // Rotate the pool so that neighbouring cases do not share the same key in the same role.
      const keys = pool.map((_, k) => pool[(k + ci) % pool.length]!);
      cases.push(...(await casesOf(clause, alg, keys)));
    }
  }
  return { suite: { version: 1, testcases: cases }, cases };
}

async function casesOf(clause: Clause, alg: string, keys: CorpusKey[]): Promise<CorpusCase[]> {
  const out: CorpusCase[] = [];
  for (const c of clause.cases) {
    const id = `mtlskit::${clause.id}::${c.name}::${c.kind.toLowerCase()}::${alg.toLowerCase()}`;
    const tc = await buildCase(
      id,
      `${clause.clause}: ${clause.description}`,
      c.kind,
      c.expected,
      c.spec,
      keys,
    );
    out.push({ ...tc, clause: clause.clause });
  }
  return out;
}
