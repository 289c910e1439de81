// Responses the proxy writes itself, with HAProxy's default error pages (status line, title and text as HAProxy
// 2.6 writes them, its quirks included: "400 Bad request", "407 Unauthorized", "Time-out"); any other status
// carries Node's reason phrase (http.STATUS_CODES), so a redirect or a sorry page never says "Unknown".
import { STATUS_CODES } from 'node:http';

/** HAProxy's built-in pages (`http-request deny deny_status N` and the errors it answers itself): reason, text. */
const HAPROXY_PAGES: Record<number, [string, string]> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  501: ['Not Implemented', '.The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

/** lbagent's own pages for statuses HAProxy has no page for but lbagent sends (refused request framing). */
const OWN_TEXT: Record<number, string> = {
  422: 'The server cannot process the contained instructions.',
  431: 'Your browser sent a request with too large headers.',
};

export function reason(status: number): string {
  return HAPROXY_PAGES[status]?.[0] ?? STATUS_CODES[status] ?? 'Unknown';
}

/** HAProxy's error page for `status`. */
export function errorBody(status: number): string {
  return `<html><body><h1>${status} ${reason(status)}</h1>\n${HAPROXY_PAGES[status]?.[1] ?? OWN_TEXT[status] ?? ''}\n</body></html>\n`;
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
