import pino from 'pino';
// Shared pieces of the proxy tests: real backends on 127.0.0.1, a proxy from YAML text, raw HTTP exchanges.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { BuiltinProxy } from '../../src/proxy/builtin-proxy.js';
import { resolveModel } from '../../src/proxy/model/index.js';

export interface Backend {
  port: number;
  server: HttpServer;
  /** requests seen: method, url, headers */
  seen: { url: string; headers: Record<string, string | string[] | undefined>; at: number }[];
  close(): Promise<void>;
}

/** An HTTP backend answering "NAME URL" (or per a handler), counting what it received. */
export async function startBackend(
  name: string,
  handler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers, at: Date.now() });
    if (handler) return handler(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`${name} ${req.url} ${Buffer.concat(chunks).length}`));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `accessLog`: collects the access-log lines (pino JSON objects) when given. */
export async function startProxy(yaml: string, opts: { accessLog?: Record<string, unknown>[] } = {}): Promise<{ proxy: BuiltinProxy; port(frontend: string): number; stop(): Promise<void> }> {
  const parsed = parseMainConfig('test.yml', yaml);
  if (!parsed.ok) throw new Error(parsed.errors.map(formatConfigError).join('\n'));
  const lines = opts.accessLog;
  const access = lines ? pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) : silentLogger;
  const proxy = new BuiltinProxy(resolveModel(parsed.value), silentLogger, access);
  await proxy.start();
  return {
    proxy,
    port: (fe) => proxy.frontends.get(fe)!.addresses()[0]!.port,
    stop: () => proxy.stop(0),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Read one HTTP/1.x response from a socket (Content-Length or until close). */
export function readResponse(sock: Socket, timeoutMs = 15_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => finish(new Error(`no complete response in ${timeoutMs}ms: ${JSON.stringify(buf.slice(0, 200))}`)), timeoutMs);
    const tryParse = (closed: boolean) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return closed ? finish(new Error(`connection closed before a response: ${JSON.stringify(buf)}`)) : undefined;
      const [first, ...lines] = buf.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = Number(first!.split(' ')[1]);
      const len = headers['content-length'];
      const body = buf.slice(end + 4);
      if (len !== undefined && Buffer.byteLength(body) >= Number(len)) return finish(undefined, { status, headers, body: body.slice(0, Number(len)), raw: buf });
      if (len === undefined && closed) return finish(undefined, { status, headers, body, raw: buf });
      return undefined;
    };
    const onData = (c: Buffer) => {
      buf += c.toString('latin1');
      tryParse(false);
    };
    const onEnd = () => tryParse(true);
    const finish = (err?: Error, r?: RawResponse) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      if (err) reject(err);
      else resolve(r!);
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onEnd);
  });
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Send raw bytes on a new connection and read the response. */
export async function rawRequest(port: number, text: string): Promise<RawResponse & { socket: Socket }> {
  const s = await openSocket(port);
  const p = readResponse(s);
  s.write(text);
  try {
    return { ...(await p), socket: s };
  } finally {
    s.destroy();
  }
}

/** Wait until a socket is closed by the peer. */
export function closed(sock: Socket): Promise<void> {
  return new Promise((r) => {
    if (sock.destroyed) return r();
    sock.once('close', () => r());
    sock.resume();
  });
}
