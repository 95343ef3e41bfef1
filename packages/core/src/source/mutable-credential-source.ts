import { EventEmitter } from 'eventemitter3';
import { isMtlsError, MtlsError } from '../errors/mtls-error.js';
import type { CredentialSource, Credentials } from './credentials.js';
import { makeCredentials } from './lib/make-credentials.js';
import { abortable, type ReadyOptions } from './ready-options.js';
import {
  type CredentialsInput,
  type ValidateCredentialsOptions,
  validateCredentials,
} from './validate-credentials.js';

/** Options of {@link MutableCredentialSource}. */
export interface MutableCredentialSourceOptions extends ValidateCredentialsOptions {}

interface SourceEvents {
  update: (c: Credentials) => void;
  error: (e: MtlsError) => void;
}

function asMtlsError(e: unknown): MtlsError {
  if (isMtlsError(e)) return e;
  return new MtlsError(
    'ERR_MTLS_CREDENTIALS_INVALID',
    'The new credentials could not be validated; keep the current ones and check the material.',
    {
      cause: e,
    },
  );
}

/**
 * A {@link CredentialSource} you feed yourself: `set()` validates the new material (key
 * matches certificate, chain verifies against the trust anchors now, `notBefore` not in
 * the future), then bumps `generation` and emits `update`. Bad material emits `error` with
 * a coded {@link MtlsError}, rejects the `set()` promise, and the last good generation stays
 * in service. Calls to `set()` are applied in call order.
 *
 * @example
 * ```ts
 * import { MutableCredentialSource } from '@mtlskit/core';
 * const source = new MutableCredentialSource({ purpose: 'clientAuth' });
 * source.on('update', (c) => console.log('now serving generation', c.generation));
 * await source.set({ certificateChainPem, privateKeyPem, trustAnchorsPem });
 * ```
 */
export class MutableCredentialSource extends EventEmitter<SourceEvents> implements CredentialSource {
  readonly #options: ValidateCredentialsOptions;
  #current: Credentials | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #resolveReady!: (c: Credentials) => void;
  readonly #ready: Promise<Credentials>;

  constructor(options: MutableCredentialSourceOptions = {}) {
    super();
    this.#options = { ...options };
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
  }

  /** The generation in service, 0 before the first `set()` succeeded. */
  get generation(): number {
    return this.#current?.generation ?? 0;
  }

  /** @throws {MtlsError} `ERR_MTLS_NO_CREDENTIALS` before the first successful `set()`. */
  current(): Credentials {
    if (this.#current === undefined) {
      throw new MtlsError(
        'ERR_MTLS_NO_CREDENTIALS',
        'No credentials yet; await source.ready() before using the source.',
      );
    }
    return this.#current;
  }

  /** Resolves with the first valid credentials; `signal` abandons the wait (`ERR_MTLS_ABORTED`). */
  ready(options: ReadyOptions = {}): Promise<Credentials> {
    return abortable(this.#ready, options.signal);
  }

  /**
   * Validates `input` and, when it is good, makes it the next generation.
   *
   * @returns the new generation's credentials.
   * @throws {MtlsError} the validation failure (also emitted as `error`); nothing is swapped.
   */
  set(input: CredentialsInput): Promise<Credentials> {
    const run = this.#queue.then(async () => {
      let material: Awaited<ReturnType<typeof validateCredentials>>;
      try {
        material = await validateCredentials(input, this.#options);
      } catch (e) {
        const error = asMtlsError(e);
        this.emit('error', error);
        throw error;
      }
      const next = makeCredentials(material, this.generation + 1);
      const first = this.#current === undefined;
      this.#current = next;
      if (first) this.#resolveReady(next);
      this.emit('update', next);
      return next;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
