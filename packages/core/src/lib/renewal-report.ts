interface WarningProcess {
  emitWarning?: (warning: Error | string) => void;
}

/**
 * Reports an error nobody listens for instead of dropping it: `process.emitWarning` where
 * it exists (read from globalThis because core must not import `node:*`), else the console.
 * Never throws, because it runs inside timer callbacks.
 */
export function reportUnhandled(error: Error): void {
  try {
    const proc = (globalThis as { process?: WarningProcess }).process;
    if (typeof proc?.emitWarning === 'function') {
      proc.emitWarning(error);
      return;
    }
    globalThis.console?.error(error);
  } catch {
    // Nothing is left to report to.
  }
}
