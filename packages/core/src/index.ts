export {
  CertificateAuthority,
  type CreateCertificateAuthorityOptions,
  createCertificateAuthority,
  type IssuedCertificate,
  type IssueOptions,
  type RawExtensionInput,
} from './ca/create-certificate-authority.js';
export {
  type CertificateInfo,
  type KeyUsage,
  type NameAttribute,
  parseCertificate,
} from './cert/parse-certificate.js';
export { parseCertificates } from './cert/parse-certificates.js';
export type { ChainErrorCode, ChainProfile, ChainPurpose, ChainVerdict } from './chain/chain-verdict.js';
export {
  type LimboPeerName,
  type LimboResult,
  type LimboResults,
  type LimboSuite,
  type LimboTestcase,
  runLimbo,
  runLimboCase,
} from './chain/run-limbo.js';
export { type CertificatesInput, type VerifyChainOptions, verifyChain } from './chain/verify-chain.js';
export { type CryptoProvider, setCryptoProvider } from './crypto/set-crypto-provider.js';
export type {
  CryptoKeyShape,
  SubtleCryptoShape,
  WebCryptoKey,
  WebSubtleCrypto,
} from './crypto/web-crypto-types.js';
export { type CreateCsrOptions, createCsr, type SubjectFields } from './csr/create-csr.js';
export { type CsrInfo, parseCsr } from './csr/parse-csr.js';
export {
  compareTrustBundles,
  type RegeneratedCa,
  type TrustBundleComparison,
  type TrustBundleEntry,
} from './diagnostics/compare-trust-bundles.js';
export { type DiagnoseCertificates, type DiagnoseOptions, diagnose } from './diagnostics/diagnose.js';
export type { Finding, FindingCode, FindingSeverity } from './diagnostics/finding.js';
export { isMtlsError, MtlsError, type MtlsErrorCode, type MtlsErrorOptions } from './errors/mtls-error.js';
export { exportPrivateKeyPem, exportPublicKeyPem } from './keys/export-key.js';
export { type GenerateKeyPairOptions, generateKeyPair } from './keys/generate-key-pair.js';
export { importPrivateKey } from './keys/import-private-key.js';
export { keyMatchesCertificate } from './keys/key-matches-certificate.js';
export type { CryptoOptions, KeyAlgorithm, KeyAlgorithmName, KeyPair } from './keys/key-pair.js';
export { joinPem } from './pem/join-pem.js';
export { splitPemBundle } from './pem/split-pem-bundle.js';
export {
  type Backoff,
  type BackoffNextOptions,
  type BackoffOptions,
  createBackoff,
  type ExpirySource,
} from './renewal/backoff.js';
export {
  computeRenewalTime,
  type RenewalHints,
  type RenewalTimeOptions,
  type ValidityPeriod,
} from './renewal/compute-renewal-time.js';
export {
  type ExpiredEvent,
  type ExpiringEvent,
  type ExpiryEvent,
  type ExpiryEventBase,
  type ExpiryEventType,
  ExpiryTracker,
  type ExpiryTrackerEvents,
  type ExpiryTrackerOptions,
  type RenewEvent,
  type ScheduledExpiryEvent,
  type TrackedCertificate,
  type TrackedEntry,
  type TrackOptions,
} from './renewal/expiry-tracker.js';
export { parseRetryAfter } from './renewal/parse-retry-after.js';
export type { CredentialSource, Credentials } from './source/credentials.js';
export {
  MutableCredentialSource,
  type MutableCredentialSourceOptions,
} from './source/mutable-credential-source.js';
export { abortable, type ReadyOptions } from './source/ready-options.js';
export { createStaticCredentialSource } from './source/static-credential-source.js';
export {
  type CredentialsInput,
  type ValidateCredentialsOptions,
  type ValidatedCredentials,
  validateCredentials,
} from './source/validate-credentials.js';
export {
  type Clock,
  type ClockTimer,
  type ClockTimerOptions,
  MAX_TIMER_DELAY,
  systemClock,
} from './time/clock.js';
