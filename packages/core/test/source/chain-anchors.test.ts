import { describe, expect, it } from 'vitest';
import { MutableCredentialSource } from '../../src/source/mutable-credential-source.js';
import { validateCredentials } from '../../src/source/validate-credentials.js';
import { pki } from './helpers.js';

// "The CAs I trust for peers" (trustAnchorsPem) and "the CA my own chain ends at"
// (chainAnchorsPem) are separate: a private client CA talking to a publicly certified server.
describe('chainAnchorsPem', () => {
  it('verifies the own chain against chainAnchorsPem and keeps trustAnchorsPem for peers only', async () => {
    const clientCa = await pki('private client CA');
    const serverCa = await pki('public server CA');
    const mine = await clientCa.issue('agent-1');
    const input = {
      ...mine,
      trustAnchorsPem: serverCa.ca.certificatePem,
      chainAnchorsPem: clientCa.ca.certificatePem,
    };
    const ok = await validateCredentials(input, { purpose: 'clientAuth' });
    expect(ok.leaf.subject).toBe('CN=agent-1');
    const source = new MutableCredentialSource({ purpose: 'clientAuth' });
    const creds = await source.set(input);
    // Only the peer anchors go into the TLS context; the own CA is not widened into them.
    expect(creds.trustAnchorsPem).toBe(serverCa.ca.certificatePem);
  });

  it('without it, the refusal names chainAnchorsPem as the fix', async () => {
    const clientCa = await pki('private client CA');
    const serverCa = await pki('public server CA');
    const mine = await clientCa.issue('agent-1');
    await expect(
      validateCredentials({ ...mine, trustAnchorsPem: serverCa.ca.certificatePem }),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_CHAIN_INVALID',
      message: expect.stringContaining('chainAnchorsPem'),
    });
  });

  it('still refuses a chain that does not end at chainAnchorsPem, or an empty one', async () => {
    const clientCa = await pki('private client CA');
    const other = await pki('other CA');
    const mine = await clientCa.issue('agent-1');
    await expect(
      validateCredentials({ ...mine, chainAnchorsPem: other.ca.certificatePem }),
    ).rejects.toMatchObject({ code: 'ERR_MTLS_CHAIN_INVALID', details: { chainCode: 'UNKNOWN_ISSUER' } });
    await expect(validateCredentials({ ...mine, chainAnchorsPem: ' ' })).rejects.toMatchObject({
      code: 'ERR_MTLS_CREDENTIALS_MISSING',
    });
  });
});
