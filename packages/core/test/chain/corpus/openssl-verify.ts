// Runs one x509-limbo testcase through `openssl verify` with the strict flags that match
// mtlskit's rules, as an independent oracle for the generated corpus.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LimboTestcase } from '../../../src/chain/run-limbo.js';

export interface OpensslOptions {
  /** -policy OIDs (user-initial-policy-set); implies -policy_check. */
  policies?: readonly string[];
  explicitPolicy?: boolean;
  inhibitAny?: boolean;
  inhibitMap?: boolean;
}

function run(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}` }),
    );
  });
}

/** `openssl verify -x509_strict -policy_check …` on a limbo testcase; true when OpenSSL accepts it. */
export async function opensslVerify(
  tc: LimboTestcase,
  o: OpensslOptions = {},
): Promise<{ ok: boolean; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-limbo-openssl-'));
  try {
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text || '\n');
      return p;
    };
    const args = [
      'verify',
      '-x509_strict',
      '-policy_check',
      '-purpose',
      tc.validation_kind === 'SERVER' ? 'sslserver' : 'sslclient',
      '-CAfile',
      file('trusted.pem', tc.trusted_certs.join('')),
    ];
    if (tc.untrusted_intermediates.length > 0)
      args.push('-untrusted', file('untrusted.pem', tc.untrusted_intermediates.join('')));
    if (tc.validation_time) args.push('-attime', String(Math.floor(Date.parse(tc.validation_time) / 1000)));
    if (tc.max_chain_depth !== null && tc.max_chain_depth !== undefined)
      args.push('-verify_depth', String(tc.max_chain_depth));
    const peer = tc.expected_peer_name;
    if (peer?.kind === 'DNS') args.push('-verify_hostname', peer.value);
    if (peer?.kind === 'IP') args.push('-verify_ip', peer.value);
    if (peer?.kind === 'RFC822') args.push('-verify_email', peer.value);
    if (tc.crls && tc.crls.length > 0)
      args.push('-crl_check', '-CRLfile', file('crls.pem', tc.crls.join('')));
    // Without -policy OpenSSL takes the user-initial-policy-set as empty, not anyPolicy
    // (RFC 5280 §6.1.1 (c)), and then fails every explicit-policy path.
    for (const p of o.policies ?? ['2.5.29.32.0']) args.push('-policy', p);
    if (o.explicitPolicy) args.push('-explicit_policy');
    if (o.inhibitAny) args.push('-inhibit_any');
    if (o.inhibitMap) args.push('-inhibit_map');
    args.push(file('leaf.pem', tc.peer_certificate));
    return await run(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
