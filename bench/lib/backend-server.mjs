// A minimal, fast HTTP/1.1 responder for benchmarks (one process, several ports).
// GET /1m answers 1 MiB; anything else answers "ok\n". Keep-alive and pipelining; requests carry no body.
// Usage: node backend-server.mjs PORT [PORT...]
import { createServer } from 'node:net';

const small = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n');
const bigBody = Buffer.alloc(1024 * 1024, 0x61);
const bigHead = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bigBody.length}\r\n\r\n`);

for (const port of process.argv.slice(2).map(Number)) {
  createServer((sock) => {
    let pending = '';
    sock.setNoDelay(true);
    sock.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end;
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        if (head.startsWith('GET /1m')) {
          sock.write(bigHead);
          sock.write(bigBody);
        } else sock.write(small);
        if (/\r\nconnection:\s*close/i.test(head)) {
          sock.end();
          return;
        }
      }
    });
    sock.on('error', () => {});
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
}
process.on('disconnect', () => process.exit(0));
