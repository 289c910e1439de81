// The agent's local RPC address (loopback by default, optional auth key): each connection goes to serf's msgpack
// RPC (serf-rpc.ts) or to the HTTP+JSON RPC (http-rpc.ts) by its first byte. The CLI talks to the agent only
// through this.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { createApi } from '../http-api/index.js';
import { httpRpcRoutes } from './http-rpc.js';
import type { RpcTarget } from './rpc-target.js';
import { SerfRpcSession, startsSerfRpc } from './serf-rpc.js';

export class AgentRpcServer {
  /** the listener: each connection goes to serf's msgpack RPC or to the HTTP server by its first byte */
  private readonly server: NetServer;
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();

  constructor(target: RpcTarget, authKey: string | undefined, log: Logger) {
    this.server = createNetServer((sock) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
      sock.on('error', () => {});
      sock.once('data', (first: Buffer) => {
        sock.pause();
        if (startsSerfRpc(first[0]!)) {
          new SerfRpcSession(sock, first, target, authKey, log);
          sock.resume();
          return;
        }
        sock.unshift(first);
        this.http.emit('connection', sock);
        sock.resume();
      });
    });
    this.http = createServer(createApi({ name: 'rpc', routes: httpRpcRoutes(target, log), token: () => authKey, log }));
    this.http.keepAliveTimeout = 5000;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}
