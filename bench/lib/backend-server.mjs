// A minimal, fast HTTP/1.1 responder for benchmarks (one process, several ports).
// GET /1m answers 1 MiB; anything else answers "ok\n". Keep-alive and pipelining; requests carry no body.
// Usage: node backend-server.mjs PORT [PORT...]
import { createServer } from 'node:net';
import { answerRequests } from './tiny-http.mjs';

const small = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n');
const bigBody = Buffer.alloc(1024 * 1024, 0x61);
const bigHead = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bigBody.length}\r\n\r\n`);

for (const port of process.argv.slice(2).map(Number)) {
  createServer((sock) => answerRequests(sock, (head) => (head.startsWith('GET /1m') ? [bigHead, bigBody] : [small]))).listen(port, '127.0.0.1', () => process.send?.('ready'));
}
process.on('disconnect', () => process.exit(0));
