// Generates docs/troubleshooting/*.md: one guide per failure users hit, each with the real
// output of `mtlskit doctor` on files made for that failure. CI runs this script, and it
// fails when a guide's expected finding does not appear.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { runCli } from '@mtlskit/cli';
import { createCertificateAuthority } from '@mtlskit/core';

const outDir = new URL('../docs/troubleshooting/', import.meta.url);
const work = await mkdtemp(join(tmpdir(), 'mtlskit-troubleshooting-'));
const file = async (name: string, content: string) => {
  await writeFile(join(work, name), content, { mode: 0o600 });
  return name;
};

async function doctor(args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runCli(['doctor', ...args], {
    stdout: { write: (s: string) => (text += s), isTTY: false },
    stderr: { write: (s: string) => (text += s) },
    env: {},
    cwd: work,
  });
  return { code, text: text.trimEnd() };
}

interface Guide {
  slug: string;
  title: string;
  symptom: string;
  command: string[];
  expect: string;
  cause: string;
  fix: string;
}

async function withServer<T>(options: tls.TlsOptions, fn: (port: number) => Promise<T>): Promise<T> {
  // The server keeps accepted connections open: a close right after the handshake is what
  // doctor reads as a rejected client certificate.
  const server = tls.createServer({ minVersion: 'TLSv1.2', ...options }, (s) => {
    s.on('error', () => undefined);
    s.resume();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const DAY = 86_400_000;
const guides: { guide: Guide; output: string }[] = [];
async function record(guide: Guide, run: () => Promise<{ code: number; text: string }>) {
  const result = await run();
  // The right cause comes first: the first finding line must be the expected one.
  const first = result.text.split('\n').find((l) => /^(ERROR|WARN |INFO ) {2}/.test(l)) ?? '';
  if (!first.includes(`  ${guide.expect}  `)) {
    throw new Error(`troubleshooting guide ${guide.slug}: expected ${guide.expect} first in\n${result.text}`);
  }
  // Ports and temporary paths differ on every run: show placeholders instead.
  const text = result.text.replace(/127\.0\.0\.1:\d{2,5}/g, '127.0.0.1:PORT');
  guides.push({ guide, output: `$ mtlskit ${guide.command.join(' ')}\n${text}\n(exit code ${result.code})` });
}

try {
  // 1. Two secrets carry different CAs: the client's CA is not the one the server trusts.
  {
    const caA = await createCertificateAuthority({
      subject: { commonName: 'Payments CA', organization: 'Example' },
    });
    const caB = await createCertificateAuthority({
      subject: { commonName: 'Platform CA', organization: 'Example' },
    });
    const client = await caA.issue({ subject: { commonName: 'billing-worker' } });
    await file('client.crt', client.certificatePem);
    await file('client.key', client.privateKeyPem!);
    await file('ca.crt', caA.certificatePem);
    await file('server-client-ca.crt', caB.certificatePem);
    const command = [
      'doctor',
      '--cert',
      'client.crt',
      '--key',
      'client.key',
      '--ca',
      'ca.crt',
      '--peer-ca',
      'server-client-ca.crt',
    ];
    await record(
      {
        slug: 'bad-certificate-ca-mismatch',
        title: '"tls: bad certificate": the client and the server use different CAs',
        symptom:
          'The server logs `tls: bad certificate` / `certificate verify failed`, the client sees a closed connection (`UND_ERR_SOCKET`, `ECONNRESET`) right after the handshake. Each side looks fine on its own.',
        command,
        expect: 'UNTRUSTED_BY_PEER',
        cause:
          'The client certificate was issued by one CA, but the server verifies client certificates against a bundle (its `ca.crt` / `client-ca` secret) that holds another CA. This happens when two secrets were created separately, or one was rotated and the other was not.',
        fix: "Put the CA that issued the client certificate into the server's client-CA bundle, or reissue the client certificate from the CA the server trusts. `mtlskit compare client=ca.crt server=server-client-ca.crt` shows which CAs differ.",
      },
      () => doctor(command.slice(1)),
    );
  }

  // 2. The CA was regenerated under the same name.
  {
    const oldCa = await createCertificateAuthority({
      subject: { commonName: 'Internal Root', organization: 'Example' },
    });
    const newCa = await createCertificateAuthority({
      subject: { commonName: 'Internal Root', organization: 'Example' },
    });
    const client = await newCa.issue({ subject: { commonName: 'api-client' } });
    await file('regenerated-client.crt', client.certificatePem);
    await file('regenerated-ca.crt', newCa.certificatePem);
    await file('gateway-trust.crt', oldCa.certificatePem);
    const command = [
      'doctor',
      '--cert',
      'regenerated-client.crt',
      '--ca',
      'regenerated-ca.crt',
      '--peer-ca',
      'gateway-trust.crt',
    ];
    await record(
      {
        slug: 'ca-regenerated',
        title: 'The CA was regenerated with the same subject',
        symptom:
          '`CERTIFICATE_VERIFY_FAILED` or `bad certificate` although the issuer name in the certificate and in the trusted CA file are identical.',
        command,
        expect: 'CA_REGENERATED',
        cause:
          'Someone generated a new CA key under the old name (a re-run of a setup script, a new cluster). Names match, keys do not, so every signature check fails while every name check passes.',
        fix: 'Distribute the new CA certificate to every peer that trusts the old one (or reissue from the old CA). `mtlskit compare old=gateway-trust.crt new=regenerated-ca.crt` lists the CAs that share a subject but not a key.',
      },
      () => doctor(command.slice(1)),
    );
  }

  // 3. A proxy calling an mTLS upstream that does not send its intermediate.
  {
    const root = await createCertificateAuthority({
      subject: { commonName: 'Upstream Root', organization: 'Example' },
    });
    const issuing = await root.createIntermediate({
      subject: { commonName: 'Upstream Issuing CA', organization: 'Example' },
      pathLength: 0,
    });
    const upstream = await issuing.issue({
      profile: 'server',
      subject: { commonName: '127.0.0.1' },
      ipAddresses: ['127.0.0.1'],
    });
    const proxy = await issuing.issue({ subject: { commonName: 'edge-proxy' } });
    await file('proxy.crt', proxy.chainPem);
    await file('proxy.key', proxy.privateKeyPem!);
    await file('upstream-root.crt', root.certificatePem);
    await withServer(
      // The upstream sends only its leaf: the intermediate is missing from its chain (and not
      // in its CA store either, from which OpenSSL would otherwise complete the chain).
      {
        cert: upstream.certificatePem,
        key: upstream.privateKeyPem!,
        ca: root.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      async (port) => {
        const command = [
          'doctor',
          '--cert',
          'proxy.crt',
          '--key',
          'proxy.key',
          '--ca',
          'upstream-root.crt',
          '--server-ca',
          'upstream-root.crt',
          '--connect',
          `127.0.0.1:${port}`,
        ];
        await record(
          {
            slug: 'proxy-upstream-verify-failed',
            title: '`CERTIFICATE_VERIFY_FAILED` from a proxy to an mTLS upstream',
            symptom:
              'A gateway or proxy logs `CERTIFICATE_VERIFY_FAILED` / `unable to get local issuer certificate` when it calls the upstream; `curl` from a laptop works.',
            command: command.map((a) => a.replace(/:\d+$/, ':PORT')),
            expect: 'SERVER_UNTRUSTED',
            cause:
              'The upstream serves its leaf certificate without the intermediate that issued it. Browsers and curl may fetch or cache intermediates; a proxy with a pinned root does not, so it cannot build the path to the root it trusts.',
            fix: "Configure the upstream to send its full chain (leaf, then intermediates: `fullchain.pem`), or add the intermediate to the proxy's CA file. In Node, `attachCredentials()` serves `certificateChainPem` as a whole.",
          },
          () => doctor(command.slice(1)),
        );
      },
    );
  }

  // 4. Rotated on disk, still serving the expired certificate.
  {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Service CA' } });
    const stale = await ca.issue({
      profile: 'server',
      subject: { commonName: '127.0.0.1' },
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const fresh = await ca.issue({
      profile: 'server',
      subject: { commonName: '127.0.0.1' },
      ipAddresses: ['127.0.0.1'],
    });
    const client = await ca.issue({ subject: { commonName: 'checker' } });
    await file('rotated-on-disk.crt', fresh.certificatePem);
    await file('checker.crt', client.certificatePem);
    await file('checker.key', client.privateKeyPem!);
    await file('service-ca.crt', ca.certificatePem);
    await withServer({ cert: stale.certificatePem, key: stale.privateKeyPem! }, async (port) => {
      const command = [
        'doctor',
        '--cert',
        'checker.crt',
        '--key',
        'checker.key',
        '--ca',
        'service-ca.crt',
        '--server-ca',
        'service-ca.crt',
        '--connect',
        `127.0.0.1:${port}`,
      ];
      await record(
        {
          slug: 'rotated-not-reloaded',
          title: 'Certificates rotated on disk (or in the Secret) but not reloaded',
          symptom:
            'The secret store or the mounted Secret shows a fresh certificate, yet clients get `certificate has expired` (HTTP 503 from the mesh) until the pod is restarted.',
          command: command.map((a) => a.replace(/:\d+$/, ':PORT')),
          expect: 'SERVER_UNTRUSTED',
          cause:
            'The process read its certificate once at start-up. The file was replaced (a Kubernetes Secret volume swaps its `..data` symlink), but the running server still holds the old `SecureContext`, and a plain `fs.watch` on the file fires only for the first swap.',
          fix: 'Serve through `attachCredentials(server, new FileCredentialSource({ dir }))` from `@mtlskit/node-adapter`: it watches the directory, polls as a backstop, validates the new files and calls `setSecureContext()` with fresh session ticket keys, without dropping connections. See examples/hot-reload-server.',
        },
        () => doctor(command.slice(1)),
      );
    });
  }

  // 5. A gateway needs the allocation token in the CN.
  {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Worker Pool CA' } });
    const plain = await ca.issue({ subject: { commonName: 'team-ml' } });
    await file('worker.crt', plain.certificatePem);
    await file('worker-ca.crt', ca.certificatePem);
    const command = ['doctor', '--cert', 'worker.crt', '--ca', 'worker-ca.crt', '--expect-cn', 'alloc:*'];
    await record(
      {
        slug: 'missing-alloc-cn',
        title: 'Client certificate without the allocation token in its CN',
        symptom:
          'The gateway answers `403` / `unknown allocation` although the certificate is valid and trusted.',
        command,
        expect: 'COMMON_NAME_MISMATCH',
        cause:
          "The gateway identifies the allocation by the client certificate's common name, `CN=alloc:<token-id>`. Certificates from the plain `/api/v1/cert` endpoint carry the caller's identity instead.",
        fix: 'Get the certificate from the allocate endpoint (`POST /api/v1/worker/allocate`), e.g. with `allocationEnrollment({ poolName, namespace })` in `@mtlskit/agent`, which checks the CN for you.',
      },
      () => doctor(command.slice(1)),
    );
  }

  // 6. An expired client certificate.
  {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Agents CA' } });
    const expired = await ca.issue({
      subject: { commonName: 'agent-42' },
      notBefore: new Date(Date.now() - 31 * DAY),
      notAfter: new Date(Date.now() - 2 * DAY),
    });
    await file('agent.crt', expired.certificatePem);
    await file('agent.key', expired.privateKeyPem!);
    await file('agents-ca.crt', ca.certificatePem);
    const command = ['doctor', '--cert', 'agent.crt', '--key', 'agent.key', '--ca', 'agents-ca.crt'];
    await record(
      {
        slug: 'expired',
        title: 'Expired certificates',
        symptom:
          '`certificate has expired`, `CERT_HAS_EXPIRED`, or a TLS 1.3 server that closes the connection right after the handshake.',
        command,
        expect: 'EXPIRED',
        cause:
          'Nothing renewed the certificate before its `notAfter`: a renewal job that failed quietly, retries that backed off past the expiry, or a process that never picked up the renewed files.',
        fix: 'Renew now (`agent.renewNow()`, or reissue), then let `@mtlskit/agent` keep it renewed: it renews at two thirds of the lifetime with retries capped by the time left, and emits `expiring` / `renewal-failed` events long before the end.',
      },
      () => doctor(command.slice(1)),
    );
  }

  // 7. A missing intermediate whose name shares nothing with the root's.
  {
    const root = await createCertificateAuthority({
      subject: { commonName: 'Corp Root CA 2024', organization: 'Acme Corp' },
    });
    const issuing = await root.createIntermediate({
      subject: { commonName: 'R7 Issuing', organization: 'Zeta PKI Services' },
    });
    const client = await issuing.issue({ subject: { commonName: 'billing-worker' } });
    await file('billing.crt', client.certificatePem);
    await file('billing.key', client.privateKeyPem!);
    await file('corp-root.crt', root.certificatePem);
    const command = ['doctor', '--cert', 'billing.crt', '--key', 'billing.key', '--ca', 'corp-root.crt'];
    await record(
      {
        slug: 'missing-intermediate',
        title: 'A missing intermediate (whose name looks nothing like the root)',
        symptom:
          'The server answers with the alert `unknown_ca` (`tlsv1 alert unknown ca`), or the client says `unable to get local issuer certificate`, although the certificate was issued under the right root.',
        command,
        expect: 'ISSUER_NOT_FOUND',
        cause:
          'The certificate was issued by an intermediate CA, and only the leaf is sent. The peer trusts the root, but without the intermediate it cannot build the path. From the leaf and the root alone nobody can tell this apart from a certificate of an unrelated CA: the intermediate\'s name (here "R7 Issuing", "Zeta PKI Services") need not resemble the root\'s, so mtlskit says it cannot tell and names the exact certificate to look for (subject and key identifier).',
        fix: "Find the intermediate (it ships with the certificate: `ca-bundle`, `chain.pem`, the CA's download page or the AIA URL) and send it after the leaf: `cat billing.crt r7-issuing.crt > billing-chain.pem`, then use billing-chain.pem as the certificate file (`mtlskit doctor --cert billing-chain.pem …` confirms it chains to the root). In Node, `certificateChainPem` is leaf first, then intermediates.",
      },
      () => doctor(command.slice(1)),
    );
  }

  // 8. The key file does not belong to the certificate.
  {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Payments CA' } });
    const current = await ca.issue({ subject: { commonName: 'payments-api' } });
    const previous = await ca.issue({ subject: { commonName: 'payments-api' } });
    await file('payments.crt', current.certificatePem);
    await file('payments.key', previous.privateKeyPem!);
    await file('payments-ca.crt', ca.certificatePem);
    const command = ['doctor', '--cert', 'payments.crt', '--key', 'payments.key', '--ca', 'payments-ca.crt'];
    await record(
      {
        slug: 'key-mismatch',
        title: 'The private key does not belong to the certificate',
        symptom:
          'The process fails to start with `key values mismatch` / `KEY_VALUES_MISMATCH`, or (TLS 1.3) the server rejects the handshake with `decrypt_error`.',
        command,
        expect: 'KEY_MISMATCH',
        cause:
          'The certificate and the key come from different issuances: the certificate was renewed with a new key but the old key file stayed (or the other way round), or two secrets were mixed up.',
        fix: 'Use the key written together with this certificate, or re-issue the certificate from a CSR made with this key. `mtlskit inspect payments.crt payments.key` shows both SPKI SHA-256 values; they must be equal. `@mtlskit/agent` writes both atomically and never serves a mismatched pair.',
      },
      () => doctor(command.slice(1)),
    );
  }

  for (const { guide, output } of guides) {
    const md = [
      `# ${guide.title}`,
      '',
      '<!-- Generated by scripts/troubleshooting.ts: edit the script, not this file. -->',
      '',
      '## Symptom',
      '',
      guide.symptom,
      '',
      '## Ask mtlskit',
      '',
      '```console',
      output,
      '```',
      '',
      '## Cause',
      '',
      guide.cause,
      '',
      '## Fix',
      '',
      guide.fix,
      '',
    ].join('\n');
    await writeFile(new URL(`${guide.slug}.md`, outDir), md);
  }
  const index = [
    '# Troubleshooting',
    '',
    '<!-- Generated by scripts/troubleshooting.ts. -->',
    '',
    'Each guide shows the symptom, the `mtlskit doctor` command, its real output, the cause and the fix.',
    '',
    ...guides.map(({ guide }) => `- [${guide.title}](${guide.slug}.md) — \`${guide.expect}\``),
    '',
  ].join('\n');
  await writeFile(new URL('README.md', outDir), index);
  console.log(`troubleshooting: wrote ${guides.length} guides to docs/troubleshooting/`);
} finally {
  await rm(work, { recursive: true, force: true });
}
