/** The lowest TLS version every client and server built by this package accepts. */
export const MIN_TLS_VERSION = 'TLSv1.2' as const;
