import { type CryptoProvider, setDefaultCrypto } from '../lib/crypto-provider.js';

export type { CryptoProvider } from '../lib/crypto-provider.js';

/**
 * Sets the WebCrypto implementation mtlskit uses when a call does not pass `crypto`.
 * Default: the platform's `globalThis.crypto`. Pass `undefined` to go back to it.
 *
 * @example
 * ```ts
 * import { Crypto } from '@peculiar/webcrypto';
 * setCryptoProvider(new Crypto());
 * ```
 */
export function setCryptoProvider(provider: CryptoProvider | undefined): void {
  setDefaultCrypto(provider);
}
