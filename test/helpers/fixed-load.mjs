// A fixed number of keep-alive GETs over a few connections, each connection sending its next request when the
// previous answer is complete: the same work every run, for counting instructions per request.
// Usage: node fixed-load.mjs PORT REQUESTS CONNECTIONS [tls]   prints "<done> <failed>"
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [port, total, conns] = process.argv.slice(2, 5).map(Number);
const tls = process.argv[5] === 'tls';
const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: fixed-load\r\nAccept: */*\r\n\r\n');
let left = total;
let done = 0;
let failed = 0;

function run() {
  return new Promise((resolve) => {
    const sock = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : tcpConnect(port, '127.0.0.1');
    let pending = '';
    const next = () => {
      if (left <= 0) return sock.end();
      left--;
      sock.write(request);
    };
    sock.once(tls ? 'secureConnect' : 'connect', next);
    sock.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, end + 2));
        const length = m ? Number(m[1]) : 0;
        if (pending.length < end + 4 + length) return;
        if (pending.startsWith('HTTP/1.1 200')) done++;
        else failed++;
        pending = pending.slice(end + 4 + length);
        next();
      }
    });
    sock.on('error', () => failed++);
    sock.on('close', resolve);
  });
}

await Promise.all(Array.from({ length: conns }, run));
console.log(`${done} ${failed}`);
