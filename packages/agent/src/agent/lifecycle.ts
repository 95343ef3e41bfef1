import type { AgentState } from './agent-types.js';

/**
 * The agent's state machine. `closed` is final; `revoked` only leads to `closed`.
 *
 * ```
 * idle ─start→ enrolling ─→ active ⇄ renewing
 *   ↑             │            │  └─expiry→ expired ─re-enroll→ enrolling
 *   └──failure────┘            └─403 IDENTITY_REVOKED→ revoked
 * ```
 */
export class Lifecycle {
  #state: AgentState = 'idle';
  readonly #onChange: (from: AgentState, to: AgentState) => void;

  constructor(onChange: (from: AgentState, to: AgentState) => void) {
    this.#onChange = onChange;
  }

  get state(): AgentState {
    return this.#state;
  }

  /** Whether the identity may be used for backend calls (renew, heartbeat). */
  get usable(): boolean {
    return this.#state === 'active' || this.#state === 'renewing';
  }

  /** Whether nothing can happen any more. */
  get final(): boolean {
    return this.#state === 'closed' || this.#state === 'revoked';
  }

  set(to: AgentState): void {
    const from = this.#state;
    if (from === to || from === 'closed') return;
    if (from === 'revoked' && to !== 'closed') return;
    this.#state = to;
    this.#onChange(from, to);
  }
}
