// Who may change state through the dashboard. Any web page the user opens can send requests to
// 127.0.0.1, so every state-changing request (POST) must carry the per-server random token (only
// lrlab's own page has it: it is written into the served index.html, and another origin cannot read
// that page), name this server in its Host header (127.0.0.1:PORT, localhost:PORT; a guard against
// DNS rebinding) and, when the browser sends an Origin, come from this server's own origin.
// Anything else is refused with 403 before the request body is even read.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header the page sends the token in (a custom header also forces a CORS preflight, which is never granted). */
export const TOKEN_HEADER = 'x-lrlab-token';

/** A fresh random token (256 bits, hex). */
export function newToken(): string { return randomBytes(32).toString('hex'); }

/** The Host header values that name this server: loopback names (and the bound address) with its port. */
export function ownHosts(bound: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (bound !== '0.0.0.0' && bound !== '::') names.add(bound.includes(':') ? `[${bound}]` : bound);
  return new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a state-changing request is refused (a one-line reason for the 403), or null when it may go on. */
export function refuseChange(req: IncomingMessage, o: { token: string; hosts: Set<string> }): string | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!o.hosts.has(host)) return `unexpected Host header '${req.headers.host ?? ''}'`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return `requests from origin '${origin}' may not change anything here`;
  const given = req.headers[TOKEN_HEADER];
  if (typeof given !== 'string' || !sameToken(given, o.token)) return "missing or wrong dashboard token (send the page's token in the X-Lrlab-Token header)";
  return null;
}
