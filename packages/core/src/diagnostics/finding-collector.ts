import type { Finding, FindingCode, FindingSeverity } from './finding.js';

/** The findings of one diagnose run: deduplicated, sorted errors first, each frozen. */
export interface Collector {
  add(code: FindingCode, severity: FindingSeverity, message: string, fix: string): void;
  has(code: FindingCode): boolean;
  list(): Finding[];
}

export function collector(): Collector {
  const items: Finding[] = [];
  const seen = new Set<string>();
  return {
    add(code, severity, message, fix) {
      const key = `${code}\u0000${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      items.push(Object.freeze({ code, severity, message, fix }));
    },
    has: (code) => items.some((f) => f.code === code),
    list() {
      const rank: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
      // A stable sort keeps the order in which checks ran within one severity.
      return items
        .map((f, i) => ({ f, i }))
        .sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i)
        .map((x) => x.f);
    },
  };
}
