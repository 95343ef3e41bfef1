import { createCertificateAuthority } from '@mtlskit/core';
import type { CredentialsInput } from '../../src/source/validate-credentials.js';

export async function pki(name = 'source test CA') {
  const ca = await createCertificateAuthority({ subject: { commonName: name } });
  const issue = async (
    cn: string,
    extra: { notBefore?: Date; notAfter?: Date; profile?: 'client' | 'server' } = {},
  ): Promise<CredentialsInput> => {
    const c = await ca.issue({
      subject: { commonName: cn },
      profile: extra.profile ?? 'client',
      notBefore: extra.notBefore,
      notAfter: extra.notAfter,
    });
    return {
      certificateChainPem: c.chainPem,
      privateKeyPem: c.privateKeyPem!,
      trustAnchorsPem: ca.certificatePem,
    };
  };
  return { ca, issue };
}
