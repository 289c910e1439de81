// The one sender of both HTTP APIs: JSON answers, `{error, code}` for errors, NDJSON heads for streams.
import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, pretty = false): void {
  sendText(res, status, pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body), 'application/json');
}

export function sendText(res: ServerResponse, status: number, text: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The head of a streamed answer: one JSON object per line, written as things happen. */
export function startNdjson(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
}

/** A handler's answer that is not JSON (Prometheus' text format). */
export class TextAnswer {
  constructor(readonly text: string, readonly type: string) {}
}

/** A handler's JSON answer with a status other than 200 (the health endpoint's 503). */
export class JsonAnswer {
  constructor(readonly status: number, readonly body: unknown) {}
}
