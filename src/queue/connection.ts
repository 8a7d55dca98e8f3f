// Connections to the queue's Redis server (ioredis, the client BullMQ runs on). `openQueueConnection`
// first checks the server once, without retrying, so that a wrong address or password is a one-line
// error at once (QueueConnectionError, exit code 2), naming the URL with the password hidden. After
// that every client it makes reconnects on its own (a restarted Redis, a lost network: ioredis retries
// with a growing delay, up to 5 s, forever), and BullMQ's coordinator and workers carry on.
import { Redis, type RedisOptions } from 'ioredis';
import type { QueueTarget } from './queueUrl.js';
import { QueueConnectionError } from '../util/errors.js';

/** The queue's server cannot be used (unreachable, wrong password, too old): one line, password hidden (defined in util/errors.ts). */
export { QueueConnectionError };

/** BullMQ needs Redis 6.2 or newer (Debian's redis-server is 7.x). */
const MIN_VERSION = [6, 2];

function baseOptions(t: QueueTarget): RedisOptions {
  return {
    host: t.host, port: t.port, db: t.db, username: t.username, password: t.password,
    tls: t.tls ? { servername: t.host } : undefined,
    connectTimeout: 10_000,
  };
}

/** Why a connection attempt failed, in words. */
export function connectionProblem(e: Error & { code?: string }, t: QueueTarget): string {
  const m = e.message ?? String(e);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(m)) return 'wrong password (or user)';
  if (/NOAUTH|Authentication required/i.test(m)) return `the server asks for a password: put it in the URL or in LRLAB_QUEUE_PASSWORD`;
  if (/NOPERM/i.test(m)) return `the user has no permission for lrlab's commands (${m.split('\n')[0]})`;
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(m)) return `connection refused (is redis-server running on port ${t.port}?)`;
  if (e.code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(m)) return `unknown host '${t.host}'`;
  if (/ETIMEDOUT|timed? ?out/i.test(m)) return 'no answer (timed out)';
  if (/SSL|TLS|certificate|EPROTO/i.test(m)) return `TLS failed (${m.split('\n')[0]})`;
  return m.split('\n')[0]!;
}

export interface QueueConnection {
  target: QueueTarget;
  /** A new client that reconnects on its own; closed by close(). */
  client(): Redis;
  close(): void;
}

/**
 * Check the server (one attempt: it answers, takes the password, is Redis >= 6.2) and return a
 * factory of reconnecting clients. `onTrouble` hears connection losses (at most one message per 10 s per client).
 */
export async function openQueueConnection(t: QueueTarget, onTrouble: (message: string) => void = () => {}): Promise<QueueConnection> {
  let lastError: Error | null = null;
  const probe = new Redis({ ...baseOptions(t), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  probe.on('error', (e: Error) => { lastError = e; });
  try {
    await probe.connect();
    const info = await probe.info('server');
    const v = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (v && (Number(v[1]) < MIN_VERSION[0]! || (Number(v[1]) === MIN_VERSION[0] && Number(v[2]) < MIN_VERSION[1]!))) {
      throw new QueueConnectionError(`the queue at ${t.shown} runs Redis ${v[1]}.${v[2]}; lrlab's queue (BullMQ) needs ${MIN_VERSION.join('.')} or newer`);
    }
  } catch (e) {
    if (e instanceof QueueConnectionError) throw e;
    const why = connectionProblem((lastError ?? e) as Error, t);
    throw new QueueConnectionError(`cannot use the queue at ${t.shown}: ${why}`);
  } finally { probe.disconnect(); }

  const clients = new Set<Redis>();
  return {
    target: t,
    client() {
      let lastNote = 0;
      const c = new Redis({ ...baseOptions(t), maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 5000) });
      c.on('error', (e: Error) => {
        if (Date.now() - lastNote < 10_000) return;
        lastNote = Date.now();
        onTrouble(`queue ${t.shown}: ${connectionProblem(e, t)}; reconnecting`);
      });
      clients.add(c);
      return c;
    },
    close() {
      for (const c of clients) c.disconnect();
      clients.clear();
    },
  };
}
