/** The command names the `mtlskit` CLI will offer. */
export const COMMANDS = ['inspect', 'verify', 'doctor', 'compare', 'limbo'] as const;
