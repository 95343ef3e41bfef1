import type { FindingSeverity } from '@mtlskit/core';

/** ANSI styling that turns into plain text when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  severity(sev: FindingSeverity, s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) =>
  on ? `\u001b[${open}m${s}\u001b[${close}m` : s;

/** Colour only on a TTY, never with `--json` or `NO_COLOR` (https://no-color.org). */
export function makeStyle(options: {
  isTTY: boolean | undefined;
  json: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): Style {
  const on =
    options.isTTY === true &&
    !options.json &&
    !(options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '');
  const red = wrap(on, 31, 39);
  const yellow = wrap(on, 33, 39);
  const cyan = wrap(on, 36, 39);
  return {
    enabled: on,
    bold: wrap(on, 1, 22),
    dim: wrap(on, 2, 22),
    red,
    yellow,
    green: wrap(on, 32, 39),
    cyan,
    severity: (sev, s) => (sev === 'error' ? red(s) : sev === 'warning' ? yellow(s) : cyan(s)),
  };
}
