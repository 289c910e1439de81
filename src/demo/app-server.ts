// The demo's app server: answers every request with its name, so a browser or curl shows who served it.
import { createServer, type Server } from 'node:http';

export async function startAppServer(name: string, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    // ?delay=MS (up to 10 s) makes a slow request, to watch draining let in-flight requests finish.
    const delay = Math.min(10_000, Number(/[?&]delay=(\d+)/.exec(req.url ?? '')?.[1] ?? 0));
    if (delay > 0) {
      setTimeout(() => answer(req, res), delay);
      return;
    }
    answer(req, res);
  });
  const answer = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const body = `Hello from ${name} (${req.method} ${req.url})\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-served-by': name });
    res.end(body);
  };
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
