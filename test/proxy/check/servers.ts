// Real servers on 127.0.0.1 for the check tests, each closed by its test.
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import { freePort } from '../../helpers/ports.js';

export interface Running {
  port: number;
  /** connections currently open */
  open(): number;
  close(): Promise<void>;
}

function track(server: Server): () => number {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return () => sockets.size;
}

async function listen(server: Server, port?: number): Promise<Running> {
  const p = port ?? (await freePort());
  const open = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => resolve());
  });
  return {
    port: p,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.emit('close');
      }),
  };
}

export function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, port?: number): Promise<Running> {
  return listen(createHttp(handler) as unknown as Server, port);
}

/** Writes `banner` on accept (unless undefined); answers `reply(line)` to what it receives. */
export function tcpServer(opts: { banner?: string; reply?: (data: string) => string | undefined }, port?: number): Promise<Running> {
  return listen(
    createTcp((s) => {
      if (opts.banner !== undefined) s.write(opts.banner);
      s.on('data', (d) => {
        const out = opts.reply?.(d.toString('latin1'));
        if (out !== undefined) s.write(out);
      });
    }),
    port,
  );
}

/** Accepts and never says a word. */
export function silentServer(port?: number): Promise<Running> {
  return tcpServer({}, port);
}
