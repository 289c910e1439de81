// The app servers of bench:controller in one process: each answers its own name. IPC:
// {open: NAME, port} → {opened: NAME} once listening; {kill: NAME} → the server and its connections vanish at once
// (what a SIGKILLed app looks like from the proxy: connections reset, port closed).
import { createServer } from 'node:net';
import { answerRequests } from './tiny-http.mjs';

const servers = new Map();
process.on('message', (m) => {
  if (m.open !== undefined) {
    const name = String(m.open);
    const body = Buffer.from(name);
    const response = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const socks = new Set();
    const srv = createServer((sock) => {
      socks.add(sock);
      sock.on('close', () => socks.delete(sock));
      answerRequests(sock, () => [response]);
    });
    servers.set(name, { srv, socks });
    srv.listen(m.port, '127.0.0.1', () => process.send({ opened: name }));
  }
  if (m.kill !== undefined) {
    const s = servers.get(String(m.kill));
    if (!s) return;
    servers.delete(String(m.kill));
    s.srv.close();
    for (const sock of s.socks) sock.resetAndDestroy();
  }
});
process.on('disconnect', () => process.exit(0));
