import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `openssl verify -x509_strict -purpose <purpose>` as an independent oracle. */
export async function opensslVerify(
  caPem: string,
  certPem: string,
  purpose: 'sslclient' | 'sslserver',
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-testkit-'));
  try {
    await writeFile(join(dir, 'ca.pem'), caPem);
    await writeFile(join(dir, 'cert.pem'), certPem);
    return await new Promise((resolve) => {
      execFile(
        'openssl',
        [
          'verify',
          '-x509_strict',
          '-purpose',
          purpose,
          '-CAfile',
          join(dir, 'ca.pem'),
          join(dir, 'cert.pem'),
        ],
        { timeout: 20_000 },
        (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}` }),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
