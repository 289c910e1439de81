// HTTP/1.x message heads: find the end of a head in a buffer and parse only what the forwarder needs.
// Bodies are never parsed here; framing.ts walks them.

export type Header = [name: string, value: string];

export interface RequestHead {
  method: string;
  uri: string;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1 */
  version: 10 | 11;
  headers: Header[];
}

export interface ResponseHead {
  status: number;
  reason: string;
  version: 10 | 11;
  headers: Header[];
}

export class HeadError extends Error {
  constructor(readonly status: 400 | 431 | 502, message: string) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Offset just past the blank line ending the head, or -1 when the head is not complete yet. */
export function headEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf('\r\n\r\n', Math.max(0, from - 3), 'latin1');
  return i < 0 ? -1 : i + 4;
}

function parseHeaderLines(lines: string[], status: 400 | 502): Header[] {
  const headers: Header[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HeadError(status, 'malformed header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HeadError(status, `invalid header name '${name.slice(0, 40)}'`);
    const value = line.slice(colon + 1).trim();
    if (CTL.test(value)) throw new HeadError(status, `invalid character in header '${name}'`);
    headers.push([name, value]);
  }
  return headers;
}

function version(text: string | undefined): 10 | 11 | undefined {
  return text === 'HTTP/1.1' ? 11 : text === 'HTTP/1.0' ? 10 : undefined;
}

export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const lines = buf.toString('latin1', 0, end - 4).split('\r\n');
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  while (lines.length && lines[0] === '') lines.shift();
  const parts = (lines.shift() ?? '').split(' ');
  if (parts.length !== 3) throw new HeadError(400, 'malformed request line');
  const [method, uri, ver] = parts as [string, string, string];
  const v = version(ver);
  if (!TOKEN.test(method) || !v || uri === '' || CTL.test(uri)) throw new HeadError(400, 'malformed request line');
  const headers = parseHeaderLines(lines, 400);
  // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host is a 400.
  if (v === 11 && headerValues(headers, 'host').length !== 1) throw new HeadError(400, 'missing or repeated Host header');
  return { method, uri, version: v, headers };
}

export function parseResponseHead(buf: Buffer, end: number): ResponseHead {
  const lines = buf.toString('latin1', 0, end - 4).split('\r\n');
  const first = lines.shift() ?? '';
  const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(first);
  if (!m) throw new HeadError(502, 'malformed status line');
  return { version: version(m[1])!, status: Number(m[2]), reason: m[3] ?? '', headers: parseHeaderLines(lines, 502) };
}

export function headerValues(headers: Header[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.length === lower.length && n.toLowerCase() === lower) out.push(v);
  return out;
}

/** Comma-separated tokens of every instance of a header, lower-cased. */
export function headerTokens(headers: Header[], name: string): string[] {
  return headerValues(headers, name).flatMap((v) => v.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

const NO_BODY: Framing = { kind: 'none' };

/** Body framing of a request (RFC 9112 6.3); throws 400 on conflicting or invalid framing. */
export function requestFraming(h: RequestHead): Framing {
  const te = headerTokens(h.headers, 'transfer-encoding');
  const cl = headerValues(h.headers, 'content-length');
  if (te.length) {
    if (te[te.length - 1] !== 'chunked' || cl.length) throw new HeadError(400, 'invalid transfer-encoding');
    return { kind: 'chunked' };
  }
  return lengthFraming(cl, 400) ?? { kind: 'none' };
}

/** Body framing of a response to `method`. */
export function responseFraming(method: string, r: ResponseHead): Framing {
  if (method === 'HEAD' || r.status === 204 || r.status === 304 || r.status < 200) return { kind: 'none' };
  const te = headerTokens(r.headers, 'transfer-encoding');
  if (te.length) return te[te.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  return lengthFraming(headerValues(r.headers, 'content-length'), 502) ?? { kind: 'close' };
}

const DIGITS = /^\d{1,15}$/;

function lengthFraming(values: string[], status: 400 | 502): Framing | undefined {
  if (!values.length) return undefined;
  // The usual case, one plain number, without building lists.
  if (values.length === 1 && DIGITS.test(values[0]!)) {
    const length = Number(values[0]);
    return length === 0 ? NO_BODY : { kind: 'length', length };
  }
  const all = new Set(values.flatMap((v) => v.split(',').map((x) => x.trim())));
  const [only] = [...all];
  if (all.size !== 1 || !/^\d{1,15}$/.test(only!)) throw new HeadError(status, 'invalid content-length');
  const length = Number(only);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * True when no header is hop-by-hop, so the head can be forwarded byte for byte. `chunkedOk` lets a single
 * `Transfer-Encoding: chunked` through (the proxy would write the same line back).
 */
export function endToEndOnly(headers: Header[], chunkedOk: boolean): boolean {
  for (const [n, v] of headers) {
    // Names of hop-by-hop headers are 2, 7, 10, 16 or 17 characters long: skip the rest without lower-casing.
    const l = n.length;
    if (l !== 2 && l !== 7 && l !== 10 && l !== 16 && l !== 17) continue;
    const lower = n.toLowerCase();
    if (!HOP_BY_HOP.has(lower)) continue;
    if (chunkedOk && lower === 'transfer-encoding' && v.toLowerCase() === 'chunked') continue;
    return false;
  }
  return true;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) plus those the Connection header names: never forwarded. */
export function hopByHop(headers: Header[]): Set<string> {
  const set = new Set(HOP_BY_HOP);
  for (const t of headerTokens(headers, 'connection')) set.add(t);
  return set;
}
