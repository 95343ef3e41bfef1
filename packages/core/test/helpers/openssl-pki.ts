// Certificates built by the openssl CLI, for shapes mtlskit's own CA does not produce
// (version 1, non-critical basicConstraints, no SKI, a rewritten SKI, …).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslPki {
  /** The temporary directory the files live in. */
  dir: string;
  /** Makes a key (`ec` P-256 or `rsa` 2048) named `name`. */
  key(name: string, alg?: 'ec' | 'rsa'): void;
  /**
   * Issues a certificate for key `name` with subject `subj`, signed by `issuer` (a name given
   * to an earlier certificate; itself when omitted). `ext` holds the X509v3 extension lines
   * (none: a version 1 certificate). Returns the PEM.
   */
  cert(
    name: string,
    subj: string,
    o: { issuer?: string; issuerKey?: string; key?: string; ext?: string[]; days?: number },
  ): string;
  cleanup(): void;
}

export function opensslPki(): OpensslPki {
  const dir = mkdtempSync(join(tmpdir(), 'mtlskit-pki-'));
  const p = (f: string) => join(dir, f);
  let serial = 1;
  return {
    dir,
    key(name, alg = 'ec') {
      const args =
        alg === 'ec'
          ? ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
          : ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
      execFileSync('openssl', [...args, '-out', p(`${name}.key`)], { stdio: 'ignore' });
    },
    cert(name, subj, o) {
      const key = o.key ?? name;
      const csr = p(`${name}.csr`);
      execFileSync('openssl', ['req', '-new', '-key', p(`${key}.key`), '-subj', subj, '-out', csr], {
        stdio: 'ignore',
      });
      const args = [
        'x509',
        '-req',
        '-in',
        csr,
        '-out',
        p(`${name}.pem`),
        '-days',
        String(o.days ?? 30),
        '-set_serial',
        String(serial++),
        '-sha256',
      ];
      if (o.issuer) args.push('-CA', p(`${o.issuer}.pem`), '-CAkey', p(`${o.issuerKey ?? o.issuer}.key`));
      else args.push('-key', p(`${key}.key`));
      if (o.ext) {
        writeFileSync(p(`${name}.ext`), `[v3]\n${o.ext.join('\n')}\n`);
        args.push('-extfile', p(`${name}.ext`), '-extensions', 'v3');
      }
      execFileSync('openssl', args, { stdio: 'ignore' });
      return readFileSync(p(`${name}.pem`), 'utf8');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
