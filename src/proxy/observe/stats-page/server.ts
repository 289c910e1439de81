// The stats page on its own bind (HAProxy's `listen stats` with `stats uri`, `stats auth`, `stats refresh`):
// HTML at the URI, HAProxy's CSV at URI;csv (and URI?csv), behind optional basic auth.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sameToken } from '../../../config/index.js';
import { boundAddress, closeIfAny, listenOn, rebind, sameEndpoint } from '../../rebind.js';
import type { Logger } from 'pino';
import type { Endpoint } from '../../../net/index.js';
import type { BuiltinProxy } from '../../builtin-proxy.js';
import { collectStats } from '../stats.js';
import type { StatsPageConfig } from './config.js';
import { statsCsv } from './csv.js';
import { statsHtml } from './html.js';

export class StatsPageServer {
  private server?: Server;

  constructor(private readonly proxy: BuiltinProxy, private cfg: StatsPageConfig, private readonly log: Logger) {}

  /**
   * New settings from a reload: auth, uri and refresh apply to the next request; a new bind opens before the old
   * one closes. Throws when the new address cannot be bound (the old one keeps serving, with the new settings).
   */
  async update(cfg: StatsPageConfig): Promise<Endpoint> {
    const from = this.cfg.bind;
    this.cfg = { ...cfg, bind: from };
    if (!this.server || sameEndpoint(cfg.bind, from)) return this.address();
    const r = await rebind(this.server, from, cfg.bind, () => this.create());
    this.server = r.server;
    if (r.error) throw r.error;
    this.cfg = cfg;
    return this.listening();
  }

  async start(): Promise<Endpoint> {
    const server = this.create();
    await listenOn(server, this.cfg.bind);
    this.server = server;
    return this.listening();
  }

  /** Where the page listens now. */
  address(): Endpoint {
    return boundAddress(this.server, this.cfg.bind);
  }

  stop(): Promise<void> {
    return closeIfAny(this.server);
  }

  private create(): Server {
    return createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  private listening(): Endpoint {
    const a = this.address();
    this.log.info(`stats page on http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${this.cfg.uri}`);
    return a;
  }

  private authorized(req: IncomingMessage): boolean {
    const users = this.cfg.auth;
    if (!users) return true;
    const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const given = Buffer.from(m[1]!, 'base64').toString('utf8');
    // every entry is compared (no early exit), so the time does not tell which user matched
    return users.map((u) => sameToken(given, `${u.user}:${u.password}`)).includes(true);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // As HAProxy's `stats uri`: the request URI starts with it; ";csv" (or "?csv") after it asks for the CSV.
    const raw = req.url ?? '/';
    const uri = this.cfg.uri;
    if (!raw.startsWith(uri)) return send(res, 404, 'text/plain', 'Not Found\n');
    const csv = /(^|[;?&/])csv\b/.test(raw.slice(uri.length));
    if (!this.authorized(req)) {
      res.setHeader('www-authenticate', `Basic realm="${this.cfg.realm.replace(/"/g, '')}"`);
      return send(res, 401, 'text/html', '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Method Not Allowed\n');
    await this.proxy.freshen();
    const stats = collectStats(this.proxy);
    if (csv) return send(res, 200, 'text/plain; charset=utf-8', statsCsv(stats));
    send(res, 200, 'text/html; charset=utf-8', statsHtml(stats, { refreshMs: this.cfg.refresh, csvHref: `${uri};csv` }));
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
