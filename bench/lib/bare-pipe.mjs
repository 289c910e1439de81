// The floor for any Node proxy: each client connection piped to its own connection to one backend, bytes
// passed both ways with no HTTP work at all. Usage: node bare-pipe.mjs BACKEND_PORT HTTP_PORT [TLS_PORT PEM]
import { createServer as tcpServer, connect } from 'node:net';
import { createServer as tlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';

const [backend, httpPort, tlsPort, pemFile] = process.argv.slice(2);
function pipe(client) {
  client.setNoDelay(true);
  const server = connect({ port: Number(backend), host: '127.0.0.1', noDelay: true });
  client.on('data', (c) => server.write(c));
  server.on('data', (c) => client.write(c));
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
  client.on('close', () => server.destroy());
  server.on('close', () => client.destroy());
}
tcpServer({ noDelay: true }, pipe).listen(Number(httpPort), '127.0.0.1');
if (tlsPort) {
  const pem = readFileSync(pemFile);
  tlsServer({ cert: pem, key: pem, noDelay: true }, pipe).listen(Number(tlsPort), '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));
