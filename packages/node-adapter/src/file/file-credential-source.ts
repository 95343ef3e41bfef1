import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type Clock,
  type CredentialSource,
  type Credentials,
  type CredentialsInput,
  ExpiryTracker,
  isMtlsError,
  MtlsError,
  MutableCredentialSource,
  type ReadyOptions,
} from '@mtlskit/core';
import { EventEmitter } from 'eventemitter3';
import { durationOption } from '../lib/durations.js';

/** Explicit file paths. */
export interface CredentialFiles {
  /** Leaf certificate, then intermediates (PEM). */
  certFile: string;
  /** PKCS#8 private key (PEM). */
  keyFile: string;
  /** Trust anchors used to verify peers (PEM bundle). */
  caFile: string;
}

/** A directory such as a Kubernetes TLS secret volume (`tls.crt`, `tls.key`, `ca.crt`). */
export interface CredentialDirectory {
  /** Directory holding the three files, such as a mounted Kubernetes TLS secret. Required. */
  dir: string;
  /** Default `'tls.crt'`. */
  certName?: string;
  /** Default `'tls.key'`. */
  keyName?: string;
  /** Default `'ca.crt'`. */
  caName?: string;
}

/** Options of {@link FileCredentialSource}. */
export type FileCredentialSourceOptions = (CredentialFiles | CredentialDirectory) & {
  /** Re-read the files this often (ms) in case a watch event was missed. Default `10_000`. */
  pollIntervalMs?: number;
  /** Wait this long (ms) after the last file event before reading. Default `100`. */
  debounceMs?: number;
  /** What the certificate is validated for. Default: TLS as a client or a server (`'any'` skips the usage checks). */
  purpose?: 'clientAuth' | 'serverAuth' | 'any';
  /** Where "now" comes from for validation and expiry events. Default: the system clock. */
  clock?: Clock;
  /** `expiring` thresholds in ms before `notAfter`. Default `[7 days, 1 day, 1 hour]`. */
  expiringThresholdsMs?: readonly number[];
};

/** Payload of the `expiring` and `expired` events. */
export interface FileExpiryEvent {
  generation: number;
  notAfter: Date;
  /** ms left (negative once expired). */
  remainingMs: number;
  /** For `expiring`: the threshold crossed, in ms. */
  thresholdMs?: number;
}

/** The typed events of {@link FileCredentialSource}. */
export interface FileCredentialSourceEvents {
  /** A new generation was read and validated. */
  update: (credentials: Credentials) => void;
  /** Material was refused or unreadable; the last good generation stays. */
  error: (error: MtlsError) => void;
  /** Less than `thresholdMs` of validity remain. */
  expiring: (event: FileExpiryEvent) => void;
  /** The generation in service passed its `notAfter`. */
  expired: (event: FileExpiryEvent) => void;
}

const SNAPSHOT_ATTEMPTS = 5;

/**
 * A {@link CredentialSource} backed by PEM files that reloads when they change, including
 * Kubernetes secret volumes, where the files are symlinks through `..data` and an update
 * swaps that symlink (a watch on the file itself fires once and then never again). It
 * watches the directories, polls as a backstop, debounces bursts of events, and reads
 * certificate, key and CA as one consistent snapshot (read twice until both reads agree).
 * New material is validated before `update`; bad material emits `error` and the last good
 * generation stays. `expiring` / `expired` come from the core `ExpiryTracker`.
 *
 * @example
 * ```ts
 * import { FileCredentialSource, createMtlsDispatcher } from '@mtlskit/node-adapter';
 * const source = new FileCredentialSource({ dir: '/var/run/secrets/mtls' });
 * source.on('error', (e) => log.warn(e.message));
 * source.on('expiring', (e) => log.warn(`certificate expires in ${e.remainingMs} ms`));
 * await source.ready();
 * const dispatcher = createMtlsDispatcher(source);
 * ```
 */
export class FileCredentialSource
  extends EventEmitter<FileCredentialSourceEvents>
  implements CredentialSource
{
  readonly #files: CredentialFiles;
  readonly #inner: MutableCredentialSource;
  readonly #tracker: ExpiryTracker;
  readonly #watchers: FSWatcher[] = [];
  readonly #debounce: number;
  readonly #poll: NodeJS.Timeout | undefined;
  #debounceTimer: NodeJS.Timeout | undefined;
  #lastRaw: string | undefined;
  #loading: Promise<boolean> | undefined;
  #again = false;
  #closed = false;

  constructor(options: FileCredentialSourceOptions) {
    super();
    this.#files = filesOf(options);
    this.#debounce = durationOption('debounceMs', options.debounceMs, 100)!;
    const poll = durationOption('pollIntervalMs', options.pollIntervalMs, 10_000)!;
    this.#inner = new MutableCredentialSource({
      ...(options.purpose ? { purpose: options.purpose } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#tracker = new ExpiryTracker({
      unref: true,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.expiringThresholdsMs ? { thresholdsMs: options.expiringThresholdsMs } : {}),
    });
    this.#tracker.on('expiring', (e) =>
      this.emit('expiring', {
        generation: this.generation,
        notAfter: e.notAfter,
        remainingMs: e.remainingMs,
        thresholdMs: e.thresholdMs,
      }),
    );
    this.#tracker.on('expired', (e) =>
      this.emit('expired', { generation: this.generation, notAfter: e.notAfter, remainingMs: e.remainingMs }),
    );
    this.#tracker.on('error', () => undefined);
    this.#inner.on('update', (c) => {
      this.#tracker.replace('current', { notBefore: c.notBefore, notAfter: c.notAfter });
      this.emit('update', c);
    });
    this.#inner.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    this.ready().catch(() => undefined);
    for (const dir of new Set(Object.values(this.#files).map((f) => dirname(f)))) {
      try {
        const w = watch(dir, { persistent: false }, () => this.#schedule());
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // A missing directory is reported by the first read; polling picks it up later.
      }
    }
    this.#poll = setInterval(() => void this.reload(), poll);
    this.#poll.unref();
    void this.reload();
  }

  /** The generation in service, 0 before the first good read. */
  get generation(): number {
    return this.#inner.generation;
  }

  current(): Credentials {
    return this.#inner.current();
  }

  /** Resolves with the first good generation; `signal` abandons the wait (`ERR_MTLS_ABORTED`). */
  ready(options: ReadyOptions = {}): Promise<Credentials> {
    return this.#inner.ready(options);
  }

  /**
   * Reads the files now (watch events and polling call this). Resolves `true` when a new
   * generation was installed, `false` when nothing changed or the material was refused.
   */
  reload(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#loading !== undefined) {
      // A change during a read is read again afterwards, never lost.
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#load().finally(() => {
      this.#loading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#loading;
  }

  /** Stops watching and polling. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#debounceTimer);
    for (const w of this.#watchers) w.close();
    this.#tracker.close();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = setTimeout(() => void this.reload(), this.#debounce);
    this.#debounceTimer.unref();
  }

  async #load(): Promise<boolean> {
    let input: CredentialsInput;
    try {
      input = await this.#snapshot();
    } catch (e) {
      const error = isMtlsError(e)
        ? e
        : new MtlsError(
            'ERR_MTLS_CREDENTIALS_UNREADABLE',
            'The credential files could not be read; check that they exist and are readable.',
            {
              cause: e,
            },
          );
      const raw = `unreadable:${error.message}`;
      if (raw !== this.#lastRaw) {
        this.#lastRaw = raw;
        if (this.listenerCount('error') > 0) this.emit('error', error);
      }
      return false;
    }
    const raw = `${input.certificateChainPem}\0${input.privateKeyPem}\0${input.trustAnchorsPem}`;
    // Unchanged material (the common case when polling) is neither re-validated nor re-reported.
    if (raw === this.#lastRaw) return false;
    this.#lastRaw = raw;
    try {
      await this.#inner.set(input);
      return true;
    } catch {
      return false; // already emitted as `error` by the inner source
    }
  }

  async #snapshot(): Promise<CredentialsInput> {
    let previous: string[] | undefined;
    for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
      const read = await Promise.all(
        [this.#files.certFile, this.#files.keyFile, this.#files.caFile].map((f) => readText(f)),
      );
      if (previous !== undefined && read.every((t, i) => t === previous![i])) {
        return { certificateChainPem: read[0]!, privateKeyPem: read[1]!, trustAnchorsPem: read[2]! };
      }
      previous = read;
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * attempt));
    }
    throw new MtlsError(
      'ERR_MTLS_CREDENTIALS_UNSTABLE',
      'The credential files kept changing while they were read; the next change or poll will retry.',
      { details: { files: this.#files } },
    );
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new MtlsError(
      'ERR_MTLS_CREDENTIALS_UNREADABLE',
      `Cannot read ${file} (${code ?? 'error'}); check that the file exists and this process may read it.`,
      { cause: e, details: { file } },
    );
  }
}

function filesOf(options: FileCredentialSourceOptions): CredentialFiles {
  if (typeof options !== 'object' || options === null) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'FileCredentialSource needs { certFile, keyFile, caFile } or { dir }.',
    );
  }
  if ('dir' in options && typeof options.dir === 'string') {
    const dir = resolve(options.dir);
    return {
      certFile: join(dir, options.certName ?? 'tls.crt'),
      keyFile: join(dir, options.keyName ?? 'tls.key'),
      caFile: join(dir, options.caName ?? 'ca.crt'),
    };
  }
  const f = options as Partial<CredentialFiles>;
  if (typeof f.certFile !== 'string' || typeof f.keyFile !== 'string' || typeof f.caFile !== 'string') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'FileCredentialSource needs certFile, keyFile and caFile paths, or { dir }.',
    );
  }
  return { certFile: resolve(f.certFile), keyFile: resolve(f.keyFile), caFile: resolve(f.caFile) };
}
