import type { SignatureResult } from '../../x509/signature.js';
import type { ChainErrorCode, ChainProfile, ChainPurpose } from '../chain-verdict.js';
import type { DecodedCrl } from '../crl/decode-crl.js';
import type { LeafNameAnswers } from '../names/check-leaf-identity.js';
import type { ChainCert } from '../path/chain-cert.js';
import type { WorkBudget } from '../path/work-budget.js';
import type { PolicyProcessingOptions } from '../policy/process-policies.js';

/** One failure of one candidate path. */
export interface PathFailure {
  code: ChainErrorCode;
  message: string;
  depth: number;
  cert: ChainCert | undefined;
  missingIssuer?: string;
  /** The webpki-only rule that refused the path (see ChainVerdict.profileRule). */
  profileRule?: string;
}

export interface ValidateContext {
  /** Validation time, floored to whole seconds. */
  at: Date;
  purpose: ChainPurpose;
  profile: ChainProfile;
  /** RFC 5280 §6.1.1 (c), (e)-(g) policy inputs. */
  policy: PolicyProcessingOptions;
  hostname: string | undefined;
  ip: string | undefined;
  uri: string | undefined;
  email: string | undefined;
  maxDepth: number;
  crls: DecodedCrl[];
  work: WorkBudget;
  /** The leaf's SAN answers of this verification, by leaf (see leafNameAnswers). */
  leafNames: WeakMap<ChainCert, LeafNameAnswers>;
  /** Verifies `data`/`signature` with the key of `signer` (cached, counted). */
  verify(
    signer: ChainCert,
    alg: ChainCert['d']['signatureAlgorithm'],
    data: Uint8Array,
    signature: Uint8Array,
  ): Promise<SignatureResult>;
}

/** Role of the certificate at `depth` in a path of `length`, for messages. */
export function roleOf(depth: number, length: number): string {
  if (depth === 0) return length === 1 ? 'trusted certificate' : 'leaf certificate';
  if (depth === length - 1) return 'trusted CA certificate';
  return 'intermediate certificate';
}

/** How a certificate is named in messages. */
export function who(c: ChainCert): string {
  return c.info.subject === '' ? `(empty subject, serial ${c.info.serialNumber})` : `"${c.info.subject}"`;
}

/** A failure of the certificate at `depth` of `path`; `text` continues "The leaf certificate "CN=x" …". */
export function fail(code: ChainErrorCode, path: ChainCert[], depth: number, text: string): PathFailure {
  const c = path[depth]!;
  return { code, depth, cert: c, message: `The ${roleOf(depth, path.length)} ${who(c)} ${text}` };
}

/** A date in messages, without milliseconds. */
export const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
