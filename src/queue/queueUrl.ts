// The address of a Redis server that holds lrlab's queue: redis://[user:password@]host:port[/db], or
// rediss://... for TLS. The password may instead come from the environment (LRLAB_QUEUE_PASSWORD, else
// redis-cli's REDISCLI_AUTH), which keeps it out of the process list and out of shell history. Every
// message and every file shows the URL with the password hidden (`shown`); a run folder records only
// that form (queueRecord.ts).

/** Environment variables that give the queue's password when the URL has none (first one set wins). */
export const PASSWORD_ENV = ['LRLAB_QUEUE_PASSWORD', 'REDISCLI_AUTH'] as const;

export interface QueueTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL with the password hidden (redis://user:***@host:port/db), for messages. */
  shown: string;
  /** The URL without its password (redis://user@host:port/db), as a run folder records it. */
  bare: string;
}

/** A queue URL that cannot be used: the message is one line, with the password hidden. */
export class QueueUrlError extends Error {}

/** The URL's text with any password replaced by *** (also for URLs that do not parse). */
export function hidePassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/)([^:@/]*):([^@/]*)@/i, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/**
 * Parse a queue URL. `env` supplies the password when the URL has none. Throws a QueueUrlError
 * (one line, password hidden) for anything but redis:// or rediss:// with a host, a port and a db number.
 */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): QueueTarget {
  const bad = (why: string) => new QueueUrlError(`--queue ${hidePassword(url)}: ${why} (expected redis://[user:password@]host:port[/db] or rediss://...)`);
  let u: URL;
  try { u = new URL(url); } catch { throw bad('not a URL'); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`scheme must be redis or rediss, got '${u.protocol.replace(/:$/, '')}'`);
  if (!u.hostname) throw bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw bad(`the path must be a database number, got '/${path}'`);
  if (u.search || u.hash) throw bad('query strings and fragments are not supported');
  const db = path === '' ? 0 : Number(path);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const fromUrl = u.password ? decodeURIComponent(u.password) : undefined;
  const fromEnv = PASSWORD_ENV.map((k) => env[k]).find((v) => v !== undefined && v !== '');
  const password = fromUrl ?? fromEnv;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const auth = username || fromUrl ? `${username ?? ''}${fromUrl ? ':***' : ''}@` : '';
  const shown = `${u.protocol}//${auth}${shownHost}:${port}${db ? `/${db}` : ''}`;
  const bare = `${u.protocol}//${username ? `${username}@` : ''}${shownHost}:${port}${db ? `/${db}` : ''}`;
  return { host, port, db, username, password, tls: u.protocol === 'rediss:', shown, bare };
}
