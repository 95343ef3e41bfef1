type Listener = (payload: any) => void;

/**
 * A minimal typed event emitter. Unlike node:events it never throws for an `error` event
 * without listeners: an agent runs on timers, and an unhandled `error` there would crash
 * the host process for a failure the agent already handles (it retries).
 */
export class TypedEmitter<E extends object> {
  readonly #listeners = new Map<keyof E, Set<Listener>>();

  on<K extends keyof E>(event: K, fn: (payload: E[K]) => void): this {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn);
    return this;
  }

  once<K extends keyof E>(event: K, fn: (payload: E[K]) => void): this {
    const wrapper = (payload: E[K]): void => {
      this.off(event, wrapper);
      fn(payload);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, fn: (payload: E[K]) => void): this {
    this.#listeners.get(event)?.delete(fn);
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener; a throwing listener is reported to `onListenerError` and the others still run. */
  protected emitEvent<K extends keyof E>(
    event: K,
    payload: E[K],
    onListenerError?: (e: unknown) => void,
  ): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (e) {
        onListenerError?.(e);
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
