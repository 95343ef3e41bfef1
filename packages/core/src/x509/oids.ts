export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  md5WithRSA: '1.2.840.113549.1.1.4',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  mgf1: '1.2.840.113549.1.1.8',
  extensionRequest: '1.2.840.113549.1.9.14',
  // extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // extended key usages
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/** Names for the extended key usages mtlskit knows; others stay dotted OIDs. */
export const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  [OID.codeSigning]: 'codeSigning',
  [OID.emailProtection]: 'emailProtection',
  [OID.timeStamping]: 'timeStamping',
  [OID.ocspSigning]: 'OCSPSigning',
  [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
};

export function ekuToOid(nameOrOid: string): string {
  for (const [o, n] of Object.entries(EKU_NAMES)) if (n === nameOrOid) return o;
  if (/^\d+(\.\d+)+$/.test(nameOrOid)) return nameOrOid;
  throw new RangeError(
    `unknown extended key usage "${nameOrOid}": use a name such as clientAuth or a dotted OID`,
  );
}

/** Attribute types of distinguished names: short name ↔ OID. */
export const NAME_ATTRIBUTES: ReadonlyArray<readonly [short: string, oid: string, key: string]> = [
  ['CN', '2.5.4.3', 'commonName'],
  ['SN', '2.5.4.4', 'surname'],
  ['serialNumber', '2.5.4.5', 'serialNumber'],
  ['C', '2.5.4.6', 'country'],
  ['L', '2.5.4.7', 'locality'],
  ['ST', '2.5.4.8', 'state'],
  ['STREET', '2.5.4.9', 'street'],
  ['O', '2.5.4.10', 'organization'],
  ['OU', '2.5.4.11', 'organizationalUnit'],
  ['title', '2.5.4.12', 'title'],
  ['GN', '2.5.4.42', 'givenName'],
  ['DC', '0.9.2342.19200300.100.1.25', 'domainComponent'],
  ['UID', '0.9.2342.19200300.100.1.1', 'userId'],
  ['emailAddress', '1.2.840.113549.1.9.1', 'emailAddress'],
  // Named as OpenSSL prints them (EV and eIDAS certificates carry these).
  ['organizationIdentifier', '2.5.4.97', 'organizationIdentifier'],
  ['businessCategory', '2.5.4.15', 'businessCategory'],
  ['postalCode', '2.5.4.17', 'postalCode'],
  ['jurisdictionC', '1.3.6.1.4.1.311.60.2.1.3', 'jurisdictionCountry'],
  ['jurisdictionST', '1.3.6.1.4.1.311.60.2.1.2', 'jurisdictionState'],
  ['jurisdictionL', '1.3.6.1.4.1.311.60.2.1.1', 'jurisdictionLocality'],
];

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** A key usage named as in RFC 5280 §4.2.1.3. */
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];
