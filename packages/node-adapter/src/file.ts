/**
 * `@mtlskit/node-adapter/file`: the file-watching credential source alone (does not load
 * undici).
 *
 * @packageDocumentation
 */
export {
  type CredentialDirectory,
  type CredentialFiles,
  FileCredentialSource,
  type FileCredentialSourceEvents,
  type FileCredentialSourceOptions,
  type FileExpiryEvent,
} from './file/file-credential-source.js';
