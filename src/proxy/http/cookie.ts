// HAProxy's cookie persistence: `cookie NAME insert|rewrite|prefix [indirect] [nocache]`. A client holding a
// server's cookie sticks to it while the server is UP or DRAIN; otherwise it is rebalanced and the cookie
// rewritten. A server's cookie value is its name, which stays the same across pool swaps.
import { z } from 'zod';
import { oneOf } from '../../config/index.js';
import type { Header } from './head.js';

export const cookieSchema = z.strictObject({
  name: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'invalid cookie name'),
  mode: oneOf(['insert', 'rewrite', 'prefix'] as const).default('insert'),
  /** insert: the cookie is removed from requests before they reach the server */
  indirect: z.boolean().default(true),
  /** insert: responses that set the cookie are marked private (not cacheable by shared caches) */
  nocache: z.boolean().default(true),
  /** extra attributes of the inserted cookie, e.g. [HttpOnly, Secure, "SameSite=Lax"] */
  attributes: z.array(z.string()).default([]),
});
export type CookieConfig = z.output<typeof cookieSchema>;

/** The server a request's cookie names (the part before `~` in prefix mode), if any. */
export function requestedServer(headers: Header[], cfg: CookieConfig): string | undefined {
  for (const [n, v] of headers) {
    if (n.toLowerCase() !== 'cookie') continue;
    for (const part of v.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== cfg.name) continue;
      const value = part.slice(eq + 1).trim();
      return cfg.mode === 'prefix' ? value.split('~')[0] : value;
    }
  }
  return undefined;
}

/** What the server sees: insert+indirect drops our cookie; prefix strips `server~` from it. */
export function rewriteRequestCookies(headers: Header[], cfg: CookieConfig): void {
  if (cfg.mode === 'rewrite' || (cfg.mode === 'insert' && !cfg.indirect)) return;
  for (let i = headers.length - 1; i >= 0; i--) {
    const [n, v] = headers[i]!;
    if (n.toLowerCase() !== 'cookie') continue;
    const parts = v
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean)
      .flatMap((p) => {
        const eq = p.indexOf('=');
        if (eq < 0 || p.slice(0, eq) !== cfg.name) return [p];
        if (cfg.mode === 'insert') return [];
        const value = p.slice(eq + 1);
        const tilde = value.indexOf('~');
        return [`${cfg.name}=${tilde < 0 ? value : value.slice(tilde + 1)}`];
      });
    if (parts.length) headers[i] = [n, parts.join('; ')];
    else headers.splice(i, 1);
  }
}

/** Response side: insert a cookie for a new or moved client; rewrite or prefix the server's own cookie. */
export function rewriteResponseCookies(headers: Header[], cfg: CookieConfig, server: string, clientHadIt: boolean, status = 200): void {
  if (cfg.mode === 'insert') {
    if (clientHadIt) return;
    headers.push(['Set-Cookie', [`${cfg.name}=${server}`, 'path=/', ...cfg.attributes].join('; ')]);
    if (cfg.nocache && cacheable(headers, status)) headers.push(['Cache-Control', 'private']);
    return;
  }
  for (let i = 0; i < headers.length; i++) {
    const [n, v] = headers[i]!;
    if (n.toLowerCase() !== 'set-cookie') continue;
    const eq = v.indexOf('=');
    if (eq < 0 || v.slice(0, eq).trim() !== cfg.name) continue;
    const semi = v.indexOf(';');
    const value = v.slice(eq + 1, semi < 0 ? undefined : semi);
    const rest = semi < 0 ? '' : v.slice(semi);
    headers[i] = [n, `${cfg.name}=${cfg.mode === 'rewrite' ? server : `${server}~${value}`}${rest}`];
  }
}

/** Statuses a cache may keep without being told (RFC 9111 4.2.2), as HAProxy lists them. */
const HEURISTIC = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/**
 * HAProxy's test before `nocache` marks a response `Cache-Control: private` (check_response_for_cacheability):
 * a shared cache could keep it, i.e. it says how long it stays fresh (max-age, s-maxage, Expires) or can be
 * revalidated (Last-Modified, ETag), and no directive (private, no-cache, no-store, max-age=0, s-maxage=0,
 * Pragma: no-cache) already forbids it. `public, max-age=3600` is such a response; a bare `public` is not.
 */
export function cacheable(headers: Header[], status: number): boolean {
  if (!HEURISTIC.has(status)) return false;
  let fresh = false;
  for (const [n, v] of headers) {
    const name = n.toLowerCase();
    if (name === 'pragma' && v.trim().toLowerCase() === 'no-cache') return false;
    if (name === 'expires' || name === 'last-modified' || name === 'etag') fresh = true;
    if (name !== 'cache-control') continue;
    for (const raw of v.split(',')) {
      const d = raw.trim().toLowerCase();
      if (d === 'private' || d === 'no-cache' || d === 'no-store' || d === 'max-age=0' || d === 's-maxage=0') return false;
      if (d.startsWith('max-age') || d.startsWith('s-maxage')) fresh = true;
    }
  }
  return fresh;
}
