// Move a node:http server (admin API, stats page) to another address at reload, without a gap: the new socket
// opens before the old one closes. When the old socket holds the port (same port, another host), it is closed
// first, and reopened if the new address cannot be bound, so a failed move leaves the old address serving.
import type { Server } from 'node:http';
import type { Endpoint } from '../net/index.js';

export function listenOn(server: Server, ep: Endpoint): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(ep.port, ep.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Where `server` listens now; `configured` when it does not (not started, or stopped). */
export function boundAddress(server: Server | undefined, configured: Endpoint): Endpoint {
  const a = server?.address();
  if (!a || typeof a === 'string') return configured;
  return { host: a.address, port: a.port };
}

/** Close `server` if there is one (the admin API's and the stats page's stop). */
export async function closeIfAny(server: Server | undefined): Promise<void> {
  if (server) await closeServer(server);
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host === b.host && a.port === b.port;
}

/** The server now listening (the new one, or the old address on failure) and the bind error, if any. */
export async function rebind(old: Server, from: Endpoint, to: Endpoint, create: () => Server): Promise<{ server: Server; error?: Error }> {
  let error: Error;
  try {
    const server = create();
    await listenOn(server, to);
    await closeServer(old);
    return { server };
  } catch (err) {
    error = err as Error;
  }
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || from.port !== to.port || from.port === 0) return { server: old, error };
  await closeServer(old);
  try {
    const server = create();
    await listenOn(server, to);
    return { server };
  } catch (err) {
    const back = create();
    await listenOn(back, from);
    return { server: back, error: err as Error };
  }
}
