// The HTTPS server of bench/dispatcher-throughput.ts, in its own process so client and
// server do not share an event loop. Started with `node --import tsx`; receives its
// credentials over IPC ({ type: 'credentials', cert, key, ca }) and swaps them with
// setSecureContext and fresh ticket keys, like attachCredentials does. Prints nothing;
// reports { type: 'listening', port } and { type: 'swapped' } over IPC.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

type Message = { type: 'credentials'; cert: string; key: string; ca: string } | { type: 'stop' };

let server: Server | undefined;

process.on('message', (raw) => {
  const msg = raw as Message;
  if (msg.type === 'stop') {
    server?.closeAllConnections();
    server?.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
    return;
  }
  const options = {
    cert: msg.cert,
    key: msg.key,
    ca: msg.ca,
    minVersion: 'TLSv1.2' as const,
    ticketKeys: randomBytes(48),
  };
  if (server === undefined) {
    server = createServer(
      { ...options, requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 60_000 },
      (_req, res) => {
        res.end('ok');
      },
    );
    server.on('tlsClientError', () => process.send?.({ type: 'tlsClientError' }));
    server.listen(0, '127.0.0.1', () =>
      process.send?.({ type: 'listening', port: (server!.address() as AddressInfo).port }),
    );
  } else {
    server.setSecureContext(options);
    process.send?.({ type: 'swapped' });
  }
});
process.on('disconnect', () => process.exit(0));
