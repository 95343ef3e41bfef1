import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  type KeyPair,
  MtlsError,
} from '@mtlskit/core';
import { fetch as undiciFetch } from 'undici';
import type { AgentMetadata, EnrollmentContext } from '../enrollment/enrollment-strategy.js';
import { idempotencyKey } from '../enrollment/idempotency-key.js';
import { isRetryable } from '../lib/backend-errors.js';
import { channels } from '../lib/channels.js';
import { deferred } from '../lib/deferred.js';
import { acceptResult } from './accept.js';
import { type AgentRuntime, closedError } from './agent-runtime.js';
import type { Attempt } from './backend-client.js';
import { retryDelay } from './retry-delay.js';

/** Runs enrollment attempts (retrying transient failures through the scheduler) until one succeeds or fails for good. */
export function runEnrollment(rt: AgentRuntime, reason: 'initial' | 'reenroll'): Promise<void> {
  if (rt.enrolling !== undefined) return rt.enrolling;
  rt.enrollReason = reason;
  rt.enrollBackoff.reset();
  rt.life.set('enrolling');
  const done = deferred<void>();
  rt.enrollDone = done;
  rt.enrolling = done.promise.finally(() => {
    rt.enrolling = undefined;
    rt.enrollDone = undefined;
  });
  rt.track(enrollAttempt(rt));
  return rt.enrolling;
}

/** Gives up an enrollment in progress (start() aborted): back to `idle`. */
export function abortEnrollment(rt: AgentRuntime, err: MtlsError): void {
  const done = rt.enrollDone;
  rt.scheduler.cancel('enroll');
  rt.enrollAttempt?.dispose();
  if (done !== undefined && !done.settled) done.reject(err);
  if (rt.life.state === 'enrolling') rt.life.set(rt.enrollReason === 'reenroll' ? 'expired' : 'idle');
}

/** What an operator must do when enrolling again is refused. */
function actionFor(err: MtlsError): string {
  switch (err.code) {
    case 'ERR_MTLS_INSTALL_TOKEN_USED':
    case 'ERR_MTLS_INSTALL_TOKEN_INVALID':
    case 'ERR_MTLS_INSTALL_TOKEN_EXPIRED':
    case 'ERR_MTLS_INSTALL_TOKEN_MISSING':
      return 'Mint a new install token for this service and put it in installToken / installTokenFile, then restart the agent (or call start()).';
    case 'ERR_MTLS_TOKEN_SCOPE_MISMATCH':
      return 'Mint an install token for this service name and type, then restart the agent.';
    default:
      return `Fix the cause (${err.code}) and restart the agent; if the backend no longer knows this agent, provide a new install token.`;
  }
}

export async function enrollAttempt(rt: AgentRuntime): Promise<void> {
  const done = rt.enrollDone;
  if (done === undefined || done.settled) return;
  if (rt.closing !== undefined) {
    done.reject(closedError());
    return;
  }
  const reason = rt.enrollReason;
  const strategy = rt.c.strategy;
  channels.enrollment.publish({ phase: 'start', strategy: strategy.name, reason });
  const attempt = rt.backend.attempt([rt.abort.signal]);
  rt.enrollAttempt = attempt;
  try {
    const { key, keyPem, agentId } = await pendingKey(rt, 'enroll');
    const ctx = await context(rt, 'enroll', key, agentId, attempt);
    const result = await strategy.enroll(ctx);
    rt.throwIfClosed();
    if (done.settled) return;
    const credentials = await acceptResult(rt, result, keyPem, 'register');
    rt.counters.enrollments++;
    rt.enrollBackoff.reset();
    channels.enrollment.publish({
      phase: 'success',
      strategy: strategy.name,
      reason,
      generation: credentials.generation,
      notAfter: credentials.notAfter,
    });
    rt.c.log('info', reason === 'initial' ? 'enrolled' : 're-enrolled', {
      generation: credentials.generation,
      serviceId: rt.stored?.serviceId,
      notAfter: credentials.notAfter.toISOString(),
    });
    rt.emit('enrolled', {
      credentials,
      serviceId: rt.stored?.serviceId,
      reenrollment: reason === 'reenroll',
    });
    done.resolve();
  } catch (e) {
    const err = rt.toError(e, 'enrollment');
    rt.counters.enrollmentFailures++;
    rt.noteError(err);
    channels.enrollment.publish({ phase: 'failure', strategy: strategy.name, reason, error: err.toJSON() });
    if (rt.closing !== undefined) {
      done.reject(closedError());
      return;
    }
    if (done.settled) return;
    if (!isRetryable(err)) {
      rt.c.log('error', 'enrollment failed', { error: err });
      if (reason === 'reenroll') {
        rt.life.set('expired');
        rt.requiredAction = actionFor(err);
        rt.emit('reenrollment-required', { reason: 'reenrollment-refused', cause: err });
      } else {
        rt.life.set('idle');
      }
      rt.emit('error', err);
      done.reject(err);
      return;
    }
    const delay = retryDelay(rt, rt.enrollBackoff, err, undefined);
    const nextRetryAt = new Date(rt.c.clock.now() + delay);
    rt.c.log('warn', 'enrollment failed; retrying', { error: err, nextRetryAt: nextRetryAt.toISOString() });
    rt.emit('enrollment-failed', { attempt: rt.enrollBackoff.attempt, nextRetryAt, cause: err });
    rt.scheduler.schedule('enroll', nextRetryAt.getTime());
  } finally {
    attempt.dispose();
    if (rt.enrollAttempt === attempt) rt.enrollAttempt = undefined;
  }
}

/** The key of the attempt: a persisted pending key of the same purpose, or a new one persisted first. */
export async function pendingKey(
  rt: AgentRuntime,
  purpose: 'enroll' | 'renew',
): Promise<{ key: KeyPair; keyPem: string; agentId: string }> {
  const c = rt.c;
  const pending = await rt.storeCall('loadPendingKey', () => c.store.loadPendingKey());
  if (
    pending !== undefined &&
    pending.purpose === purpose &&
    (purpose === 'renew' || rt.agentId === undefined || pending.agentId === rt.agentId)
  ) {
    try {
      const key = await importPrivateKey(pending.privateKeyPem);
      c.redactor.addKey(pending.privateKeyPem);
      rt.agentId ??= pending.agentId;
      return { key, keyPem: pending.privateKeyPem, agentId: rt.agentId };
    } catch {
      c.log('warn', 'the pending key is unreadable; generating a new one');
    }
  }
  const agentId = rt.agentId ?? randomUUID();
  const key = await generateKeyPair({ algorithm: c.keyAlgorithm });
  const keyPem = await exportPrivateKeyPem(key);
  c.redactor.addKey(keyPem);
  // Persisted before any request: a lost response is retried with this same key.
  await rt.storeCall('savePendingKey', () =>
    c.store.savePendingKey({
      privateKeyPem: keyPem,
      agentId,
      purpose,
      createdAt: new Date(c.clock.now()).toISOString(),
    }),
  );
  rt.agentId = agentId;
  return { key, keyPem, agentId };
}

/** The context a strategy gets for one attempt; its signal carries the attempt's total deadline. */
export async function context(
  rt: AgentRuntime,
  purpose: 'enroll' | 'renew',
  key: KeyPair,
  agentId: string,
  attempt: Attempt,
): Promise<EnrollmentContext> {
  const c = rt.c;
  const csrPem = await createCsr({
    key,
    subject: { commonName: c.serviceName },
    uris: [`urn:mtlskit:agent:${agentId}`],
    extendedKeyUsage: ['clientAuth'],
  });
  const current = purpose === 'renew' ? rt.current : undefined;
  const dispatcher = purpose === 'enroll' ? rt.backend.server() : rt.backend.mtls(rt.current);
  const metadata: AgentMetadata = {
    version: '0.0.0',
    environment: process.env['NODE_ENV'] ?? 'production',
    hostname: hostname(),
    platform: `${process.platform}-${process.arch}`,
    ...c.metadata,
    agent_id: agentId,
  };
  return {
    purpose,
    backendUrl: c.backendUrl,
    key,
    csrPem,
    idempotencyKey: await idempotencyKey(key),
    agentId,
    serviceName: c.serviceName,
    serviceType: c.serviceType,
    controllerName: c.controllerName,
    metadata,
    current,
    clock: c.clock,
    signal: attempt.signal,
    dispatcher,
    fetch: (input, init) => undiciFetch(input, { signal: attempt.signal, ...init, dispatcher }),
    postJson: (path, body, options) =>
      rt.backend.post(dispatcher, path, body, {
        call: options?.call ?? 'custom',
        headers: options?.headers,
        signal: attempt.signal,
        identityNotAfter: current?.notAfter,
      }),
    installToken: () => (purpose === 'enroll' ? installToken(rt) : Promise.reject(tokenOnlyOnEnroll())),
    addSecret: (secret) => c.redactor.add(secret),
  };
}

const LOOSE = 0o077;

async function installToken(rt: AgentRuntime): Promise<string> {
  const c = rt.c;
  if (c.installToken !== undefined) return c.installToken;
  if (c.installTokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(c.installTokenFile, 'utf8');
    } catch (e) {
      throw new MtlsError(
        'ERR_MTLS_INSTALL_TOKEN_MISSING',
        `Cannot read installTokenFile ${c.installTokenFile} (${(e as { code?: string }).code ?? 'unreadable'}); check the path and its permissions.`,
        { cause: e },
      );
    }
    const token = text.trim();
    c.redactor.add(token);
    await checkTokenFileModes(rt, c.installTokenFile);
    if (token === '') {
      throw new MtlsError(
        'ERR_MTLS_INSTALL_TOKEN_MISSING',
        `installTokenFile ${c.installTokenFile} is empty; write the install token into it.`,
      );
    }
    return token;
  }
  throw new MtlsError(
    'ERR_MTLS_INSTALL_TOKEN_MISSING',
    'The agent has no stored identity and no install token; pass installToken or installTokenFile to enroll.',
  );
}

/** A token readable by others, or in a directory anyone may write to, is worth a warning. */
async function checkTokenFileModes(rt: AgentRuntime, file: string): Promise<void> {
  try {
    const st = await stat(file);
    if ((st.mode & LOOSE) !== 0) {
      rt.warn(
        new MtlsError(
          'ERR_MTLS_INSECURE_PERMISSIONS',
          `installTokenFile ${file} has mode ${(st.mode & 0o777).toString(8)}: other users may read the install token. Restrict it (chmod 600).`,
          { details: { path: file, mode: (st.mode & 0o777).toString(8) } },
        ),
      );
    }
    await warnIfWorldWritableDir(rt, dirname(file), 'the install token file');
  } catch {
    // The read above already succeeded; a failing stat is not worth failing enrollment.
  }
}

/** Warns about a directory any user may write to (without the sticky bit): files in it can be swapped. */
export async function warnIfWorldWritableDir(rt: AgentRuntime, dir: string, holds: string): Promise<void> {
  try {
    const st = await stat(dir);
    if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
      rt.warn(
        new MtlsError(
          'ERR_MTLS_INSECURE_PERMISSIONS',
          `${dir}, the directory of ${holds}, has mode ${(st.mode & 0o777).toString(8)}: any user may replace files in it. Restrict it (chmod 755 or stricter).`,
          { details: { path: dir, mode: (st.mode & 0o777).toString(8) } },
        ),
      );
    }
  } catch {
    // Missing directories are reported by whoever uses them.
  }
}

function tokenOnlyOnEnroll(): MtlsError {
  return new MtlsError(
    'ERR_MTLS_INVALID_ARGUMENT',
    'The install token is only available to enroll(), never to renew().',
  );
}
