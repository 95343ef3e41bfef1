import type { GeneralNamesIndex } from '../general-names-scan.js';
import { GENERAL_NAMES_WASM } from './general-names-wasm.js';

// A certificate may carry 100,000 SANs. Reading them is a walk of 100,000 headers and a
// check of every dNSName byte (the webpki profile's syntax rule), and a JavaScript byte loop
// costs a few nanoseconds a byte: the check alone took as long as Node's whole parse of the
// certificate. general-names.wat indexes the entries and checks the names with 16-byte SIMD
// steps, and finds the names that may equal a reference. Its answers only let JavaScript
// pass over entries: every entry it does not clear goes to the exact rules, so no result
// depends on whether it ran. Without WebAssembly SIMD (an old engine, code generation
// refused by a CSP or an edge runtime, a big-endian machine) the plain loops run.

/** Values shorter than this are read by the plain loops (a kernel costs a copy and a call). */
export const KERNEL_MIN_BYTES = 2048;
// The memory layout of general-names.wat: references, a result word, the value, the index.
const REFERENCE_B = 256;
const RESULT = 512;
const VALUE_AT = 528;
const PADDING = 64;
const MAX_REFERENCE = 253;

interface KernelExports {
  memory: WebAssembly.Memory;
  index(
    off: number,
    limit: number,
    value: number,
    tags: number,
    starts: number,
    ends: number,
    odd: number,
  ): number;
  find(
    k: number,
    count: number,
    tags: number,
    starts: number,
    ends: number,
    value: number,
    aLen: number,
    bLen: number,
  ): number;
}

let module: WebAssembly.Module | null | undefined;
let enabled = true;

function compiled(): WebAssembly.Module | null {
  if (module === undefined) {
    try {
      // WebAssembly memory is little-endian; the index is copied in as the platform's words.
      if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) throw new Error('big-endian');
      const bytes = Uint8Array.from(atob(GENERAL_NAMES_WASM), (c) => c.charCodeAt(0));
      module = new WebAssembly.Module(bytes);
    } catch {
      module = null;
    }
  }
  return module;
}

/**
 * One instance serves every kernel: fresh memory for each certificate cost more (page
 * faults) than the reading. It keeps the pages it touched, so a kernel that fills more
 * than this many bytes (value and index) takes the instance with it instead, to be dropped
 * with the certificate, and the next kernel starts a new one.
 */
export const SHARED_KERNEL_BYTES = 8 * 1024 * 1024;
let shared: { x: KernelExports; loaded: GeneralNamesKernel | undefined } | undefined;

function newInstance(mod: WebAssembly.Module): KernelExports {
  return new WebAssembly.Instance(mod).exports as unknown as KernelExports;
}

/** SIMD readers of one GeneralNames value; the value and its index are loaded into an instance. */
export class GeneralNamesKernel {
  readonly #value: Uint8Array;
  readonly #mod: WebAssembly.Module;
  // Offsets in the instance's memory; room for the most entries the value can hold (two bytes each).
  readonly #tagsAt: number;
  readonly #startsAt: number;
  readonly #endsAt: number;
  readonly #oddAt: number;
  readonly #size: number;
  #index: GeneralNamesIndex | undefined;
  #own: KernelExports | undefined;
  #failed = false;
  // The references last written into the instance (undefined: not since it was loaded).
  #a: string | undefined;
  #b: string | undefined;

  constructor(value: Uint8Array, mod: WebAssembly.Module) {
    const most = value.length >> 1;
    this.#value = value;
    this.#mod = mod;
    this.#tagsAt = (VALUE_AT + value.length + PADDING + 3) & ~3;
    this.#startsAt = (this.#tagsAt + most + 3) & ~3;
    this.#endsAt = this.#startsAt + 4 * most;
    this.#oddAt = this.#endsAt + 4 * most;
    this.#size = this.#oddAt + 4 * most;
  }

  /**
   * Indexes the entries from the header at `first` (the SEQUENCE's contents) with the
   * kernel; undefined when it met a header it does not read (the JavaScript index then
   * reads the value, and {@link adopt}s its index here).
   */
  index(first: number): GeneralNamesIndex | undefined {
    try {
      return this.#indexIn(this.#instance(false), first);
    } catch {
      // No memory for the instance or its growth: the JavaScript index reads the value.
      this.#failed = true;
      return undefined;
    }
  }

  #indexIn(x: KernelExports, first: number): GeneralNamesIndex | undefined {
    const count = x.index(
      VALUE_AT + first,
      VALUE_AT + this.#value.length,
      VALUE_AT,
      this.#tagsAt,
      this.#startsAt,
      this.#endsAt,
      this.#oddAt,
    );
    if (count < 0) return undefined;
    const buffer = x.memory.buffer;
    const odds = new Int32Array(buffer, RESULT, 1)[0]!;
    this.#keepIfLarge(x, count, odds);
    // Copies: the shared memory is reloaded with the next value.
    this.#index = {
      count,
      tags: new Uint8Array(buffer, this.#tagsAt, count).slice(),
      starts: new Int32Array(buffer, this.#startsAt, count).slice(),
      ends: new Int32Array(buffer, this.#endsAt, count).slice(),
      odd: new Int32Array(buffer, this.#oddAt, odds).slice(),
      kernel: this,
    };
    return this.#index;
  }

  /** Takes the index JavaScript made (the kernel gave up on a header). */
  adopt(index: GeneralNamesIndex): void {
    this.#index = index;
    if (this.#own) this.#loadIndex(this.#own);
    else if (shared?.loaded === this) shared.loaded = undefined;
  }

  /**
   * The first entry at or after `k` that may be a dNSName equal to `a` without ASCII case,
   * or to `*` followed by `b` (`b` empty: no wildcard), one trailing dot of the name
   * ignored; the entry count when there is none. A filter: the caller compares that entry
   * exactly. `a` and `b` must pass {@link kernelReference} (or `b` be empty).
   */
  candidateFrom(k: number, a: string, b: string): number {
    if (this.#failed) return k;
    let x: KernelExports;
    try {
      x = this.#instance(true);
    } catch {
      // No memory for the instance or its growth: every entry is a candidate from now on.
      this.#failed = true;
      return k;
    }
    if (a !== this.#a || b !== this.#b) {
      const refs = new Uint8Array(x.memory.buffer, 0, RESULT);
      for (let i = 0; i < a.length; i++) refs[i] = a.charCodeAt(i);
      for (let i = 0; i < b.length; i++) refs[REFERENCE_B + i] = b.charCodeAt(i);
      this.#a = a;
      this.#b = b;
    }
    const count = this.#index!.count;
    return x.find(k, count, this.#tagsAt, this.#startsAt, this.#endsAt, VALUE_AT, a.length, b.length);
  }

  /** The instance with this kernel's value (and, `withIndex`, its index) in memory. */
  #instance(withIndex: boolean): KernelExports {
    if (this.#own) return this.#own;
    shared ??= { x: newInstance(this.#mod), loaded: undefined };
    const x = shared.x;
    if (shared.loaded === this) return x;
    // Nobody's until the copy is complete (a failed growth leaves it so).
    shared.loaded = undefined;
    // Grown for the most entries the value can hold: pages never written cost no memory.
    const have = x.memory.buffer.byteLength;
    if (this.#size > have) x.memory.grow(Math.ceil((this.#size - have) / 65536));
    new Uint8Array(x.memory.buffer, VALUE_AT, this.#value.length).set(this.#value);
    if (withIndex) {
      this.#loadIndex(x);
      this.#keepIfLarge(x, this.#index!.count, 0);
    }
    this.#a = this.#b = undefined;
    if (x === shared?.x) shared.loaded = this;
    return x;
  }

  /** Takes the shared instance along when this kernel filled much of it (see SHARED_KERNEL_BYTES). */
  #keepIfLarge(x: KernelExports, count: number, odds: number): void {
    if (x === shared?.x && this.#tagsAt + 9 * count + 4 * odds > SHARED_KERNEL_BYTES) {
      this.#own = x;
      shared = undefined;
    }
  }

  #loadIndex(x: KernelExports): void {
    const { count, tags, starts, ends } = this.#index!;
    const buffer = x.memory.buffer;
    new Uint8Array(buffer, this.#tagsAt, count).set(tags);
    new Int32Array(buffer, this.#startsAt, count).set(starts);
    new Int32Array(buffer, this.#endsAt, count).set(ends);
  }
}

/** Whether `text` can be searched for by {@link GeneralNamesKernel.candidateFrom}. */
export function kernelReference(text: string): boolean {
  if (text.length === 0 || text.length > MAX_REFERENCE) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * A kernel for a GeneralNames value, or undefined when the plain loops should read it: a
 * small value, no usable WebAssembly SIMD, or kernels turned off. The value must not change
 * (a sub-view of a certificate's own DER copy): the kernel keeps a copy.
 */
export function newGeneralNamesKernel(value: Uint8Array): GeneralNamesKernel | undefined {
  if (!enabled || value.length < KERNEL_MIN_BYTES) return undefined;
  const mod = compiled();
  return mod ? new GeneralNamesKernel(value, mod) : undefined;
}

/**
 * Turns the kernels on or off for values read from now on (tests run every reader both
 * ways); returns whether they can run here at all.
 */
export function setGeneralNamesKernels(on: boolean): boolean {
  enabled = on;
  return compiled() !== null;
}
