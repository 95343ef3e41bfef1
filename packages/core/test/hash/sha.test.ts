import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha1, sha256, toBase64, toColonHex, toHex } from '../../src/hash/sha.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('hashes', () => {
  it('come from an audited library: no SHA round constants in core sources', () => {
    const src = join(import.meta.dirname, '../../src');
    // SHA-256's first round constant and SHA-1's first initial value.
    const handWritten = sourceFiles(src).filter((f) =>
      /0x428a2f98|0x67452301/i.test(readFileSync(f, 'utf8')),
    );
    expect(handWritten).toEqual([]);
  });

  it('match node:crypto on inputs of many lengths', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 100_000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(toHex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
      expect(toHex(sha1(data))).toBe(createHash('sha1').update(data).digest('hex'));
      expect(toBase64(data)).toBe(Buffer.from(data).toString('base64'));
    }
    expect(toColonHex(new Uint8Array([0xab, 0x01]))).toBe('AB:01');
  });
});
