// The smallest HTTP/1.1 responder the benchmarks need: request heads (no bodies) read off a raw socket, each
// answered with the buffers `answer(head)` returns; keep-alive and pipelining, `Connection: close` honoured.
export function answerRequests(sock, answer) {
  let pending = '';
  sock.setNoDelay(true);
  sock.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      for (const b of answer(head)) sock.write(b);
      if (/\r\nconnection:\s*close/i.test(head)) return void sock.end();
    }
  });
  sock.on('error', () => {});
}
