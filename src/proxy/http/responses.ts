// Responses the proxy writes itself, with HAProxy's default error bodies.

const REASONS: Record<number, string> = {
  200: 'OK', 302: 'Found', 400: 'Bad Request', 403: 'Forbidden', 408: 'Request Time-out', 422: 'Unprocessable Content', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out',
};

const MESSAGES: Record<number, string> = {
  400: 'Your browser sent an invalid request.',
  408: 'Your browser didn\'t send a complete request in time.',
  422: 'The server cannot process the contained instructions.',
  431: 'Your browser sent a request with too large headers.',
  500: 'An internal server error occurred.',
  502: 'The server returned an invalid or incomplete response.',
  503: 'No server is available to handle this request.',
  504: 'The server didn\'t respond in time.',
};

export function reason(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/** HAProxy's error page for `status`. */
export function errorBody(status: number): string {
  return `<html><body><h1>${status} ${reason(status)}</h1>\n${MESSAGES[status] ?? ''}\n</body></html>\n`;
}

export function buildResponse(status: number, opts: { body?: string; headers?: [string, string][]; keepAlive: boolean; http10?: boolean }): Buffer {
  const body = Buffer.from(opts.body ?? errorBody(status));
  const lines = [`HTTP/1.${opts.http10 ? 0 : 1} ${status} ${reason(status)}`, 'content-length: ' + body.length, 'cache-control: no-cache'];
  if (!opts.headers?.some(([n]) => n.toLowerCase() === 'content-type')) lines.push('content-type: text/html');
  for (const [n, v] of opts.headers ?? []) lines.push(`${n}: ${v}`);
  if (!opts.keepAlive) lines.push('connection: close');
  else if (opts.http10) lines.push('connection: keep-alive');
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}
