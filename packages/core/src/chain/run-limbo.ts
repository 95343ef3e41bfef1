import { isMtlsError, MtlsError } from '../errors/mtls-error.js';
import type { ChainPurpose } from './chain-verdict.js';
import { type VerifyChainOptions, verifyChain } from './verify-chain.js';

/** A peer name of an x509-limbo testcase. */
export interface LimboPeerName {
  kind: 'DNS' | 'IP' | 'RFC822';
  value: string;
}

/** One x509-limbo testcase (the fields mtlskit reads; see shared/limbo/limbo-schema.json). */
export interface LimboTestcase {
  id: string;
  description?: string;
  features?: string[];
  importance?: string;
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time?: string | null;
  signature_algorithms?: string[];
  key_usage?: string[];
  extended_key_usage?: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
  expected_peer_name?: LimboPeerName | null;
  expected_peer_names?: LimboPeerName[];
  max_chain_depth?: number | null;
  crls?: string[];
}

/** An x509-limbo suite: `{"version": 1, "testcases": [...]}`. */
export interface LimboSuite {
  version: number;
  testcases: LimboTestcase[];
}

/** One harness result. */
export interface LimboResult {
  id: string;
  actual_result: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  /** The verdict code and message, or why the case was skipped. */
  context: string;
}

/** The harness output: `{"version": 1, "harness": "mtlskit", "results": [...]}`. */
export interface LimboResults {
  version: 1;
  harness: string;
  results: LimboResult[];
}

function purposeOf(tc: LimboTestcase): ChainPurpose {
  const eku = tc.extended_key_usage ?? [];
  if (eku.includes('serverAuth')) return 'serverAuth';
  if (eku.includes('clientAuth')) return 'clientAuth';
  if (eku.length > 0) return 'any';
  return tc.validation_kind === 'CLIENT' ? 'clientAuth' : 'serverAuth';
}

/**
 * Maps one x509-limbo testcase to {@link verifyChain} calls (one per expected peer name)
 * and reports its result: `SUCCESS` or `FAILURE` (with the verdict's code in `context`).
 * `validation_kind` picks the profile: `SERVER` → `'webpki'`, `CLIENT` → `'rfc5280'`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { type LimboSuite, runLimboCase } from '@mtlskit/core';
 * const suite = JSON.parse(readFileSync('limbo.json', 'utf8')) as LimboSuite;
 * for (const tc of suite.testcases.slice(0, 10)) console.log(await runLimboCase(tc)); // { id, actual_result, context }
 * ```
 */
export async function runLimboCase(tc: LimboTestcase): Promise<LimboResult> {
  const names = [
    ...(tc.expected_peer_name ? [tc.expected_peer_name] : []),
    ...(tc.expected_peer_names ?? []),
  ];
  const base: VerifyChainOptions = {
    leaf: tc.peer_certificate,
    intermediates: tc.untrusted_intermediates,
    trustAnchors: tc.trusted_certs,
    purpose: purposeOf(tc),
    // The profile follows from what is validated, never from the testcase's id or features.
    profile: tc.validation_kind === 'SERVER' ? 'webpki' : 'rfc5280',
    ...(tc.validation_time ? { at: new Date(tc.validation_time) } : {}),
    ...(tc.max_chain_depth !== undefined && tc.max_chain_depth !== null
      ? { maxDepth: Math.min(100, tc.max_chain_depth) }
      : {}),
    ...(tc.crls && tc.crls.length > 0 ? { crls: tc.crls } : {}),
  };
  const runs: VerifyChainOptions[] =
    names.length === 0
      ? [base]
      : names.map((n) => ({
          ...base,
          ...(n.kind === 'DNS'
            ? { hostname: n.value }
            : n.kind === 'IP'
              ? { ip: n.value }
              : { email: n.value }),
        }));
  try {
    let context = 'verified';
    for (const opts of runs) {
      const v = await verifyChain(opts);
      if (!v.ok) return { id: tc.id, actual_result: 'FAILURE', context: `${v.code}: ${v.message}` };
      context = `verified: ${v.chain.map((c) => c.subject).join(' <- ')}`;
    }
    return { id: tc.id, actual_result: 'SUCCESS', context };
  } catch (e) {
    // A testcase mtlskit refuses as an argument error (e.g. no trusted certificate) is a rejection.
    if (isMtlsError(e)) return { id: tc.id, actual_result: 'FAILURE', context: `${e.code}: ${e.message}` };
    throw e;
  }
}

/**
 * The x509-limbo harness: verifies every testcase of a suite with {@link verifyChain} and
 * returns the results in the harness format. No testcase is skipped: certificate policies
 * are processed too (RFC 5280 §6.1 with the RFC 9618 policy graph).
 *
 * @example
 * ```ts
 * const suite = JSON.parse(readFileSync('limbo.json', 'utf8'));
 * const { results } = await runLimbo(suite);
 * const agree = results.filter((r, i) => r.actual_result === suite.testcases[i].expected_result).length;
 * ```
 */
export async function runLimbo(suite: LimboSuite): Promise<LimboResults> {
  if (!suite || typeof suite !== 'object' || !Array.isArray(suite.testcases)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'runLimbo() needs an x509-limbo suite: {"version": 1, "testcases": [...]}.',
    );
  }
  const results: LimboResult[] = [];
  for (const tc of suite.testcases) {
    if (
      !tc ||
      typeof tc !== 'object' ||
      typeof tc.id !== 'string' ||
      typeof tc.peer_certificate !== 'string'
    ) {
      throw new MtlsError(
        'ERR_MTLS_INVALID_ARGUMENT',
        'Every limbo testcase needs at least an id and a peer_certificate.',
      );
    }
    results.push(await runLimboCase(tc));
  }
  return { version: 1, harness: 'mtlskit', results };
}
