// Consul's HTTP API, the few GETs a member source needs, on Node's own http/https client: a CA bundle for https
// (fetch takes none without undici's Agent, which is not a dependency), a deadline per request that covers a
// blocking query's wait, and an abort for stop.
import http from 'node:http';
import https from 'node:https';

/** Bodies over this are refused (a catalog with thousands of instances is a few MB). */
const MAX_BODY = 32 * 1024 * 1024;

export interface ConsulClientOptions {
  /** origin, e.g. http://127.0.0.1:8500 */
  address: string;
  token?: string;
  /** PEM CA bundle for https */
  ca?: Buffer;
}

export type ConsulReply =
  | { ok: true; body: unknown; index: number | undefined }
  | { ok: false; why: string; status?: number };

export class ConsulClient {
  private readonly agent: http.Agent;
  private readonly secure: boolean;

  constructor(private readonly opts: ConsulClientOptions) {
    this.secure = opts.address.startsWith('https:');
    this.agent = this.secure ? new https.Agent({ keepAlive: true, ca: opts.ca }) : new http.Agent({ keepAlive: true });
  }

  /** GET path?query; never throws: a failure is a reply with the reason in words. */
  get(path: string, query: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<ConsulReply> {
    const url = new URL(path, this.opts.address);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers['x-consul-token'] = this.opts.token;
    const request = this.secure ? https.request : http.request;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: ConsulReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const req = request(url, { agent: this.agent, headers, method: 'GET' }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy();
            done({ ok: false, why: `answer over ${MAX_BODY} bytes` });
          } else chunks.push(c);
        });
        res.on('error', (err) => done({ ok: false, why: err.message }));
        res.on('end', () => done(reply(res, Buffer.concat(chunks).toString('utf8'))));
      });
      const timer = setTimeout(() => {
        done({ ok: false, why: `no answer in ${+(timeoutMs / 1000).toFixed(3)}s` });
        req.destroy();
      }, timeoutMs);
      const onAbort = () => {
        done({ ok: false, why: 'stopped' });
        req.destroy();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => done({ ok: false, why: err.message }));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function reply(res: http.IncomingMessage, text: string): ConsulReply {
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    // Consul's error bodies are one line of text ("ACL not found", "No cluster leader")
    const said = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
    const what = status === 403 ? 'ACL token refused' : `HTTP ${status}`;
    return { ok: false, status, why: said ? `${what}: ${said}` : what };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, status, why: 'answer is not JSON' };
  }
  // Under default deny a token that may not read the service gets an answer emptied by ACLs, not a 403: that is no
  // word on the instances, so it counts as a failure (the last known members stay).
  if (res.headers['x-consul-results-filtered-by-acls'] === 'true') return { ok: false, status, why: 'results filtered by ACLs (the token lacks service:read or node:read)' };
  const raw = res.headers['x-consul-index'];
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
  return { ok: true, body, index: n !== undefined && Number.isSafeInteger(n) ? n : undefined };
}
