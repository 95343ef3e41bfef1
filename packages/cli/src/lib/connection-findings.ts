import { type CertificateInfo, type Finding, parseCertificate, verifyChain } from '@mtlskit/core';
import type { TlsProbeResult } from './probe-tls.js';

/** TLS alerts (as Node error codes) a server sends when it refuses the client certificate. */
const CLIENT_ALERTS: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    'the server requires a client certificate and none was sent (alert certificate_required)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    'the server could not link your certificate to a CA it trusts (alert unknown_ca): either an intermediate is missing from the chain you send, or the server trusts a different CA',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server refused your certificate (alert bad_certificate)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    'the server says your certificate has expired (alert certificate_expired)',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    'the server cannot use your certificate for client authentication, usually because its extended key usage lacks clientAuth (alert unsupported_certificate)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    'the server could not validate your certificate (alert certificate_unknown)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED:
    'the server says your certificate is revoked (alert certificate_revoked)',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED:
    'the server accepted the certificate but denies this identity access (alert access_denied)',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR:
    'the proof of key possession failed: the key does not belong to the certificate (alert decrypt_error)',
};

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused: nothing listens on that port',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS failure)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the server reset the connection',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on that port (plain HTTP?)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'the server offers only TLS versions below 1.2',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION:
    'the server and mtlskit share no TLS version (mtlskit needs TLS ≥ 1.2)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the server aborted the handshake (alert handshake_failure): no shared cipher, or under TLS 1.2 a required client certificate was missing or refused',
};

/** Plain words for the OpenSSL verification codes Node reports for the server's chain. */
const SERVER_VERIFY_ERRORS: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not in the CA file',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not in the CA file',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its issuer is not in the CA file (and the server sent no intermediate)',
  SELF_SIGNED_CERT_IN_CHAIN: 'it chains to a root that is not in the CA file',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and not in the CA file',
  CERT_HAS_EXPIRED: 'a certificate in its chain has expired',
  CERT_NOT_YET_VALID: 'a certificate in its chain is not valid yet',
  CERT_SIGNATURE_FAILURE: 'a signature in its chain does not verify (a CA regenerated under the same name?)',
  INVALID_PURPOSE: 'its extended key usage does not allow serverAuth',
};

export interface ConnectionReport {
  findings: Finding[];
  serverChain: CertificateInfo[];
  /** true accepted, false rejected, null unknown (no handshake or no certificate sent). */
  clientCertificateAccepted: boolean | null;
}

function f(code: Finding['code'], severity: Finding['severity'], message: string, fix: string): Finding {
  return { code, severity, message, fix };
}

/** Turns a probe into findings; `earlier` are the offline findings, cited as likely causes. */
/** The CAs the server's certificate was checked against, as the findings name them. */
export interface ServerTrust {
  /** e.g. `--server-ca`, or `--ca and the system roots` when --server-ca was not given. */
  label: string;
  /** Given by the user: a server that does not verify is an error (else a warning). */
  explicit: boolean;
}

export async function connectionFindings(
  p: TlsProbeResult,
  target: string,
  trustAnchors: CertificateInfo[],
  sentCertificate: boolean,
  earlier: readonly Finding[],
  at: Date | undefined,
  serverTrust: ServerTrust = { label: '--ca', explicit: true },
): Promise<ConnectionReport> {
  const findings: Finding[] = [];
  const errorCodes = earlier.filter((e) => e.severity === 'error').map((e) => e.code);
  const causes =
    errorCodes.length > 0
      ? `Most likely the problem(s) found above: ${[...new Set(errorCodes)].join(', ')}.`
      : "Likely causes: an intermediate is missing from --cert/--chain, the server trusts a different CA than the one that issued your certificate (or the CA was regenerated under the same name: compare the server's CA file with yours using `mtlskit compare`), the certificate expired or lacks EKU clientAuth, or the server wants another identity (e.g. CN=alloc:<token> from the allocate endpoint).";
  // An alert names the symptom; the offline findings name the cause when they found one.
  const cited = errorCodes.length > 0 ? ` ${causes}` : '';
  let serverChain: CertificateInfo[] = [];
  try {
    serverChain = p.serverCertificates.map((der) => parseCertificate(new Uint8Array(der)));
  } catch {
    serverChain = [];
  }
  let accepted: boolean | null = null;

  if (p.outcome === 'connect-failed' || p.outcome === 'timeout') {
    const words =
      p.outcome === 'timeout'
        ? 'no TLS handshake completed in time'
        : (CONNECT_ERRORS[p.errorCode ?? ''] ?? `the connection failed (${p.errorCode ?? 'closed'})`);
    findings.push(
      f(
        'CONNECT_FAILED',
        'error',
        `Could not reach ${target}: ${words}.`,
        'Check the host and port (and any firewall or proxy in between); the server must speak TLS ≥ 1.2.',
      ),
    );
    return { findings, serverChain, clientCertificateAccepted: null };
  }
  if (p.outcome === 'failed-during-handshake') {
    const alert = CLIENT_ALERTS[p.errorCode ?? ''];
    const reset = p.errorCode === undefined || p.errorCode === 'ECONNRESET';
    if (alert || (reset && sentCertificate)) {
      accepted = false;
      findings.push(
        f(
          'CLIENT_CERT_REJECTED',
          'error',
          alert
            ? `${target} rejected the client certificate during the handshake: ${alert}.${cited}`
            : `${target} closed the connection during the handshake (${p.errorCode ?? 'connection closed'}): under TLS 1.2 this is how a server rejects a client certificate. ${causes}`,
          'Make sure the server trusts the CA that issued your certificate (its client CA file must contain it), and that the certificate is current and has EKU clientAuth; rerun with --peer-ca SERVER_CA_FILE to check offline.',
        ),
      );
    } else {
      findings.push(
        f(
          'CONNECT_FAILED',
          'error',
          `The TLS handshake with ${target} failed: ${CONNECT_ERRORS[p.errorCode ?? ''] ?? `error ${p.errorCode}`}.`,
          'Check that the port serves TLS ≥ 1.2 and that --servername names a host the server is configured for.',
        ),
      );
    }
    return { findings, serverChain, clientCertificateAccepted: accepted };
  }

  // The handshake completed on our side: first what we think of the server.
  const leaf = serverChain[0];
  if (p.serverAuthorized === false && leaf) {
    const verdict = await verifyChain({
      leaf,
      intermediates: serverChain.slice(1),
      trustAnchors,
      purpose: 'serverAuth',
      ...(at ? { at } : {}),
    });
    const ours = verdict.ok ? '' : ` mtlskit's verifier says ${verdict.code}: ${verdict.message}`;
    const guess = serverTrust.explicit
      ? ''
      : ' --server-ca was not given, so the server was checked against your --ca and the system roots; this is about the server, not about your certificate.';
    findings.push(
      f(
        'SERVER_UNTRUSTED',
        serverTrust.explicit ? 'error' : 'warning',
        `The server's certificate "${leaf.subject}" (SHA-256 ${leaf.fingerprintSha256.slice(0, 23)}…) does not verify against ${serverTrust.label}: ${SERVER_VERIFY_ERRORS[p.serverAuthorizationError ?? ''] ?? p.serverAuthorizationError ?? 'unknown reason'}.${ours}${guess}`,
        serverTrust.explicit
          ? serverFix(verdict.ok ? undefined : verdict.code)
          : 'Pass the CA that issued the server certificate with --server-ca FILE (the CA your client uses to verify the service); doctor then says whether the server is trusted.',
      ),
    );
  }
  if (p.serverNameError) {
    findings.push(
      f(
        'SERVER_NAME_MISMATCH',
        'error',
        `The server's certificate does not cover the name you connected to: ${p.serverNameError}`,
        'Connect with a name the certificate lists (--servername), or re-issue the server certificate with this name in its SANs.',
      ),
    );
  }
  if (p.outcome === 'closed-after-handshake') {
    accepted = false;
    const alert = CLIENT_ALERTS[p.errorCode ?? ''];
    findings.push(
      f(
        'CLIENT_CERT_REJECTED',
        'error',
        `The handshake with ${target} completed (${p.protocol ?? 'TLS'}), then the server closed the connection ${p.closedAfterMs ?? 0} ms later${alert ? `: ${alert}` : p.errorCode ? ` (${p.errorCode})` : ''}. ${p.protocol === 'TLSv1.3' ? 'Under TLS 1.3 the server checks the client certificate after the handshake, so this is how a rejected client certificate looks.' : 'The server rejected the connection right after the handshake, most likely because of the client certificate.'} ${alert ? cited.trim() : causes}`.trim(),
        'Make sure the server trusts the CA that issued your certificate (its client CA file must contain it), and that the certificate is current and has EKU clientAuth; rerun with --peer-ca SERVER_CA_FILE to check offline.',
      ),
    );
  } else if (sentCertificate) {
    accepted = true;
  }
  if (!findings.some((x) => x.severity === 'error')) {
    findings.push(
      f(
        'HANDSHAKE_OK',
        'info',
        `Handshake with ${target} completed (${p.protocol ?? 'TLS'}, ${p.cipher ?? 'unknown cipher'}); the server's certificate "${leaf?.subject ?? '?'}" ${p.serverAuthorized === false ? `did not verify against ${serverTrust.label}` : `verified against ${serverTrust.label}`}` +
          (sentCertificate
            ? ', and the server kept the connection open after the handshake: it accepted the client certificate (or did not ask for one).'
            : '; no client certificate was sent.'),
        'Nothing to do.',
      ),
    );
  }
  return { findings, serverChain, clientCertificateAccepted: accepted };
}

/** What to do about a server chain that did not verify, by the verifier's reason. */
function serverFix(code: string | undefined): string {
  switch (code) {
    case 'EXPIRED':
      return 'The server presents an expired certificate: renew it on the server and make the running server load it (a server that was rotated on disk but not reloaded keeps serving the old one; see docs/troubleshooting/rotated-not-reloaded.md).';
    case 'NOT_YET_VALID':
      return "The server's certificate is not valid yet: check the clocks of this machine and the server (`date -u`).";
    case 'MISSING_INTERMEDIATE':
      return 'The server does not send the intermediate that issued its certificate: configure it to serve the full chain (leaf, then intermediates), or add that intermediate to your --server-ca file.';
    case 'ISSUER_KEY_MISMATCH':
      return "A CA with the server certificate's issuer name is in --server-ca, but with another key: the CA was regenerated. Get the current CA certificate (`mtlskit compare` shows the difference).";
    default:
      return 'Pass the CA that issued the server certificate with --server-ca; `mtlskit verify --leaf SERVER_CERT --trust CA_FILE --purpose server` explains the chain.';
  }
}
