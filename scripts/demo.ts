// `pnpm demo`: the short end-to-end demonstration. Until the agent demo lands it makes a
// dev CA, a server and a client identity, and completes a real mTLS handshake on 127.0.0.1.
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  createCertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  parseCsr,
} from '../packages/core/src/index.js';

const started = performance.now();
const step = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(2)}s] ${msg}`);

const ca = await createCertificateAuthority({ subject: { commonName: 'mtlskit demo CA' } });
step(`CA created: ${ca.certificate.subject} (${ca.certificate.fingerprintSha256.slice(0, 23)}…)`);
const server = await ca.issue({
  profile: 'server',
  subject: { commonName: 'localhost' },
  dnsNames: ['localhost'],
  ipAddresses: ['127.0.0.1'],
});
step(
  `server certificate issued for ${server.certificate.dnsNames.join(', ')}, ${server.certificate.ipAddresses.join(', ')}`,
);
const clientKey = await generateKeyPair();
const csr = await createCsr({
  key: clientKey,
  subject: { commonName: 'demo-agent' },
  uris: ['spiffe://demo.mtlskit/agent'],
});
step(`client CSR created, self-signature ${(await parseCsr(csr)).signatureValid ? 'verifies' : 'BROKEN'}`);
const client = await ca.issue({ csr, validityMs: 15 * 60_000 });
step(
  `client certificate issued: ${client.certificate.subject}, valid until ${client.certificate.notAfter.toISOString()}`,
);

const srv = tls.createServer(
  {
    cert: server.certificatePem,
    key: server.privateKeyPem!,
    ca: ca.certificatePem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  },
  (socket) => socket.end(`hello ${socket.getPeerCertificate().subject?.CN}\n`),
);
await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
const { port } = srv.address() as AddressInfo;
step(`mTLS server listening on 127.0.0.1:${port} (client certificates required)`);

const keyPem = await exportPrivateKeyPem(clientKey);
const reply = await new Promise<{ text: string; protocol: string | null }>((resolve, reject) => {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: ca.certificatePem,
    cert: client.certificatePem,
    key: keyPem,
  });
  let text = '';
  socket.on('data', (d) => {
    text += d;
  });
  socket.on('end', () => resolve({ text: text.trim(), protocol: socket.getProtocol() }));
  socket.on('error', reject);
});
srv.close();
step(`handshake complete over ${reply.protocol}; server said: "${reply.text}"`);
if (reply.text !== 'hello demo-agent') {
  console.error('demo failed: unexpected reply');
  process.exit(1);
}
console.log('\nDemo OK: CA → CSR → certificate → mutual TLS, all on 127.0.0.1.');
