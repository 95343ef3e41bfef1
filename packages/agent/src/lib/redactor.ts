const REDACTED = '[REDACTED]';
// Field names whose values are secrets whatever they contain.
const SECRET_KEYS =
  /^(install_?token|token|authorization|private_?key(_?pem)?|privateKeyPem|clientKey|secret|password)$/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Removes known secrets (install tokens, private keys) from strings and objects before they
 * reach a logger, an error message or a diagnostics channel.
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  // Keys come and go with renewals: only the few in use are kept (PEM keys are caught by
  // PEM_PRIVATE_KEY anyway), so memory does not grow with every renewal.
  readonly #keys: string[] = [];

  /**
   * Registers a secret and its parts: tokens look like `<id>.<secret>` (or `_`, `:`, `-`
   * separated), and a backend that echoes only the secret half must not leak it either.
   */
  add(secret: string | undefined): void {
    if (secret === undefined) return;
    const s = secret.trim();
    if (s.includes('PRIVATE KEY-----')) {
      this.addKey(s);
      return;
    }
    // Very short strings would redact ordinary words; tokens and keys are long.
    if (s.length >= 8) this.#secrets.add(s);
    for (const part of s.split(/[.:_\s/]+/)) {
      if (part.length >= 8 && part !== s) this.#secrets.add(part);
    }
  }

  /** Registers a private key in use; only the last `keep` keys are remembered. */
  addKey(keyPem: string, keep = 3): void {
    const k = keyPem.trim();
    if (k.length < 8 || this.#keys.includes(k)) return;
    this.#keys.push(k);
    while (this.#keys.length > keep) this.#keys.shift();
  }

  /** How many secrets are held (tokens, their parts and keys in use). */
  get size(): number {
    return this.#secrets.size + this.#keys.length;
  }

  string(text: string): string {
    let out = text.replace(PEM_PRIVATE_KEY, REDACTED);
    for (const s of [...this.#secrets, ...this.#keys]) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 6) return '[Object]';
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: this.string(value.message) };
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out['code'] = code;
      const details = (value as { details?: unknown }).details;
      if (details !== undefined) out['details'] = this.value(details, depth + 1);
      if (value.cause !== undefined) out['cause'] = this.value(value.cause, depth + 1);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.test(k) && v !== undefined ? REDACTED : this.value(v, depth + 1);
    }
    return out;
  }
}
