/** Hard limits on the work one verification may do; hostile input ends with WORK_LIMIT, never a hang. */
export interface WorkLimits {
  /** Signature verifications (chain links and CRLs). */
  signatureChecks: number;
  /** Path-building steps: candidate issuers tried, over all paths. */
  pathCandidates: number;
  /** Name-constraint comparisons (names × subtrees). */
  nameConstraintChecks: number;
}

export const DEFAULT_WORK_LIMITS: Readonly<WorkLimits> = {
  signatureChecks: 256,
  pathCandidates: 2048,
  nameConstraintChecks: 65_536,
};

/** Thrown inside the verifier when a budget runs out; verifyChain turns it into a WORK_LIMIT verdict. */
export class WorkLimitError extends Error {
  readonly what: keyof WorkLimits;
  constructor(what: keyof WorkLimits, limit: number) {
    super(`${what} limit of ${limit} reached`);
    this.what = what;
  }
}

/** Counts work against the limits of one verification. */
export class WorkBudget {
  readonly limits: WorkLimits;
  readonly used: WorkLimits = { signatureChecks: 0, pathCandidates: 0, nameConstraintChecks: 0 };

  constructor(limits: WorkLimits) {
    this.limits = limits;
  }

  spend(what: keyof WorkLimits, n = 1): void {
    this.used[what] += n;
    if (this.used[what] > this.limits[what]) throw new WorkLimitError(what, this.limits[what]);
  }
}
