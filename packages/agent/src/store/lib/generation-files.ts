import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isMtlsError } from '@mtlskit/core';
import type { StoredIdentity } from '../credential-store.js';
import { keyMismatchReason } from './check-input.js';
import { redactedIdentity } from './redacted.js';
import {
  isNotFound,
  type LooseModeHandler,
  lstatOrUndefined,
  makePrivateDir,
  readPrivateFile,
  remove,
  renameIntoPlace,
  symlinkRefused,
  syncDir,
  writePrivateFile,
} from './safe-fs.js';
import type { StorageErrorCode } from './storage-error.js';

// One generation directory of the FileStore (`gen-<n>/`): its files, the commit marker written
// last with the SHA-256 of every other file, and how it is written and read back. Which
// generation is current, recovery and pruning stay with FileStore.

export const KEY = 'key.pem';
export const CHAIN = 'chain.pem';
export const ANCHORS = 'trust-anchors.pem';
export const META = 'identity.json';
export const COMMIT = 'commit.json';
export const TMP_PREFIX = 'tmp-';
export const GEN = /^gen-(\d{1,15})$/;
export const FORMAT = 1;
export const SMALL_FILE = 1 << 20;
export const BUNDLE_FILE = 8 << 20;

/** What reading one generation directory found. */
export type Generation =
  | { ok: true; identity: StoredIdentity }
  | { ok: false; incomplete: boolean; code: StorageErrorCode; why: string };

interface CommitMarker {
  format: number;
  generation: number;
  files: Record<string, string>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function genName(n: number): string {
  return `gen-${n}`;
}

export function genNumber(name: string): number | undefined {
  const m = GEN.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Reads and checks generation `n`; a missing, torn or mismatched one is reported, not thrown. */
export async function readGeneration(
  stateDir: string,
  n: number,
  onLoose: LooseModeHandler,
): Promise<Generation> {
  const dir = join(stateDir, genName(n));
  // A missing file means a torn or incomplete generation, a non-regular or oversized one
  // a damaged generation; both fall back. Links and foreign owners are thrown: refused.
  const read = async (name: string, max: number): Promise<string | { missing: boolean; why: string }> => {
    try {
      return await readPrivateFile(join(dir, name), max, onLoose);
    } catch (err) {
      if (isNotFound(err)) return { missing: true, why: `${name} is missing` };
      if (isMtlsError(err) && err.code === 'ERR_MTLS_STORAGE_CORRUPT')
        return { missing: false, why: `${name} is not a regular file of sane size` };
      throw err;
    }
  };
  const fail = (code: StorageErrorCode, why: string, incomplete = false): Generation => ({
    ok: false,
    incomplete,
    code,
    why,
  });
  const commitText = await read(COMMIT, SMALL_FILE);
  if (typeof commitText !== 'string')
    return commitText.missing
      ? fail('ERR_MTLS_STORAGE_CORRUPT', 'it has no commit marker', true)
      : fail('ERR_MTLS_STORAGE_CORRUPT', commitText.why);
  const commit = parseJson(commitText) as Partial<CommitMarker> | undefined;
  if (
    !commit ||
    commit.format !== FORMAT ||
    commit.generation !== n ||
    typeof commit.files !== 'object' ||
    commit.files === null
  )
    return fail('ERR_MTLS_STORAGE_CORRUPT', 'its commit marker is unreadable or names another generation');
  const texts: Record<string, string> = {};
  for (const [name, max] of [
    [KEY, SMALL_FILE],
    [CHAIN, BUNDLE_FILE],
    [ANCHORS, BUNDLE_FILE],
    [META, SMALL_FILE],
  ] as const) {
    const text = await read(name, max);
    if (typeof text !== 'string') return fail('ERR_MTLS_STORAGE_CORRUPT', text.why);
    if (commit.files[name] !== sha256(text))
      return fail('ERR_MTLS_STORAGE_CORRUPT', `${name} does not match the digest in its commit marker`);
    texts[name] = text;
  }
  const meta = parseJson(texts[META]!);
  if (
    !meta ||
    meta.generation !== n ||
    typeof meta.agentId !== 'string' ||
    typeof meta.savedAt !== 'string' ||
    (meta.serviceId !== undefined && typeof meta.serviceId !== 'string') ||
    (meta.renewAfter !== undefined && typeof meta.renewAfter !== 'string')
  )
    return fail('ERR_MTLS_STORAGE_CORRUPT', `${META} is unreadable`);
  const mismatch = await keyMismatchReason(texts[KEY]!, texts[CHAIN]!);
  if (mismatch) return fail(mismatch.code, mismatch.why);
  return {
    ok: true,
    identity: redactedIdentity({
      generation: n,
      privateKeyPem: texts[KEY]!,
      certificateChainPem: texts[CHAIN]!,
      trustAnchorsPem: texts[ANCHORS]!,
      agentId: meta.agentId,
      serviceId: meta.serviceId as string | undefined,
      renewAfter: meta.renewAfter as string | undefined,
      savedAt: meta.savedAt,
    }),
  };
}

/** Writes a generation into a temporary directory, commit marker last, and renames it into place. */
export async function writeGeneration(stateDir: string, identity: StoredIdentity): Promise<void> {
  const n = identity.generation;
  const tmp = join(stateDir, `${TMP_PREFIX}${genName(n)}-${randomBytes(6).toString('hex')}`);
  const meta = JSON.stringify({
    format: FORMAT,
    generation: n,
    agentId: identity.agentId,
    serviceId: identity.serviceId,
    renewAfter: identity.renewAfter,
    savedAt: identity.savedAt,
  });
  const files: [string, string][] = [
    [KEY, identity.privateKeyPem],
    [CHAIN, identity.certificateChainPem],
    [ANCHORS, identity.trustAnchorsPem],
    [META, meta],
  ];
  const target = join(stateDir, genName(n));
  await makePrivateDir(tmp);
  try {
    for (const [name, text] of files) await writePrivateFile(join(tmp, name), text);
    const commit: CommitMarker = {
      format: FORMAT,
      generation: n,
      files: Object.fromEntries(files.map(([name, text]) => [name, sha256(text)])),
    };
    // The marker goes last and only after every other file reached the disk.
    await writePrivateFile(join(tmp, COMMIT), JSON.stringify(commit));
    await syncDir(tmp);
    const existing = await lstatOrUndefined(target);
    if (existing?.isSymbolicLink()) symlinkRefused(target, 'a generation directory');
    // Not current (generations only go up), so a leftover of a rolled-back save.
    if (existing) await remove(target);
    await renameIntoPlace(tmp, target);
  } catch (err) {
    await remove(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(stateDir);
}

/** A JSON object, or undefined for anything else (invalid JSON, arrays, primitives). */
export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
