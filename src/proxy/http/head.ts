// HTTP/1.x message heads: find the end of a head in a buffer and parse only what the forwarder needs.
// Bodies are never parsed here; framing.ts walks them.
// The parser makes one pass over the head's bytes and cuts names and values from one latin1 copy of it (one
// native call per head): no split, no regular expression, no lower-casing of names it does not look for.
// On the way it notes the headers the forwarder decides on (HeadFacts), so those are never searched for again.
import { HeadError } from '../../errors/index.js';

export type Header = [name: string, value: string];

/** What the forwarder needs to know of a head, noted while parsing it (the header list as it was received). */
export interface HeadFacts {
  /** Transfer-Encoding tokens (lower-cased) and Content-Length values, for the body framing */
  transferEncoding: string[];
  contentLength: string[];
  /** Connection tokens, lower-cased */
  connection: string[];
  /** the first Upgrade value */
  upgrade: string | undefined;
  hosts: number;
  /**
   * no hop-by-hop header (one `Transfer-Encoding: chunked` aside) and at most one plain Content-Length: the head
   * may be forwarded byte for byte, and the server frames it as the proxy did
   */
  endToEnd: boolean;
  forwardedProto: boolean;
}

export interface RequestHead {
  method: string;
  uri: string;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1 */
  version: 10 | 11;
  /** the header list rules edit; `facts` describe it as received */
  headers: Header[];
  facts: HeadFacts;
}

export interface ResponseHead {
  status: number;
  reason: string;
  version: 10 | 11;
  headers: Header[];
  facts: HeadFacts;
}

/**
 * At most this many header lines in a head; more is a 400. HAProxy's `tune.http.maxhdr` (101) counts the start
 * line too: it refuses a request of 101 header lines and serves one of 100 (measured against Debian's 2.6).
 */
export const MAX_HEADERS = 100;

/** RFC 9110 tchar: the characters of a token (method, header name). */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function isToken(b: Buffer, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Control characters other than HTAB are never allowed in a field value or a request target. */
function hasCtl(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Character code `c` is `lower` (a lower-case character code) ignoring ASCII case. */
function sameLetter(c: number, lower: number): boolean {
  return c === lower || ((c | 0x20) === lower && lower >= 0x61 && lower <= 0x7a);
}

/** `s` (a header name) equals `lower` (a lower-case name) ignoring ASCII case, without building a string. */
function namedAs(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) if (!sameLetter(s.charCodeAt(i), lower.charCodeAt(i))) return false;
  return true;
}

/** The same for a name still in the buffer, at `at`, `lower.length` bytes long. */
function bytesNamed(b: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if (!sameLetter(b[at + i]!, lower.charCodeAt(i))) return false;
  return true;
}

const NONE: string[] = [];

function newFacts(): HeadFacts {
  return { transferEncoding: NONE, contentLength: NONE, connection: NONE, upgrade: undefined, hosts: 0, endToEnd: true, forwardedProto: false };
}

function tokens(value: string): string[] {
  if (!value.includes(',')) return value === '' ? [] : [value.toLowerCase()];
  return value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

function append(list: string[], more: string[]): string[] {
  return list === NONE ? more : list.concat(more);
}

/**
 * Note a header the forwarder cares about. Names are told apart by length first: most headers cost one switch.
 * The hop-by-hop names here are HOP_BY_HOP's (below), spelled out for speed: keep the two lists the same.
 */
function note(f: HeadFacts, b: Buffer, at: number, length: number, value: string): void {
  switch (length) {
    case 2:
      if (bytesNamed(b, at, 'te')) f.endToEnd = false;
      return;
    case 4:
      if (bytesNamed(b, at, 'host')) f.hosts++;
      return;
    case 7:
      if (bytesNamed(b, at, 'upgrade')) {
        f.upgrade ??= value;
        f.endToEnd = false;
      } else if (bytesNamed(b, at, 'trailer')) f.endToEnd = false;
      return;
    case 10:
      if (bytesNamed(b, at, 'connection')) {
        f.connection = append(f.connection, tokens(value));
        f.endToEnd = false;
      } else if (bytesNamed(b, at, 'keep-alive')) f.endToEnd = false;
      return;
    case 14:
      if (bytesNamed(b, at, 'content-length')) {
        // A repeated or list-valued length is rewritten as one plain number before it goes on.
        if (f.contentLength !== NONE || !isDigits(value)) f.endToEnd = false;
        f.contentLength = append(f.contentLength, [value]);
      }
      return;
    case 16:
      if (bytesNamed(b, at, 'proxy-connection')) f.endToEnd = false;
      return;
    case 17:
      if (bytesNamed(b, at, 'transfer-encoding')) {
        // An empty value stays visible as an empty coding, which no framing accepts.
        const t = value === '' ? [''] : tokens(value);
        f.transferEncoding = append(f.transferEncoding, t);
        // The proxy would write `Transfer-Encoding: chunked` back as it is: that one line may pass through.
        if (t.length !== 1 || t[0] !== 'chunked') f.endToEnd = false;
      } else if (bytesNamed(b, at, 'x-forwarded-proto')) f.forwardedProto = true;
      return;
    default:
      return;
  }
}

/**
 * Header lines from `pos` (the start of a line) up to `end` (the start of the blank line). One pass per line:
 * the name is checked while looking for its colon, the value while looking for its CR LF. The bytes are read
 * from `b` (cheaper than a string's char codes); names and values are cut from `s`, the same bytes as latin1.
 */
function parseHeaderLines(b: Buffer, s: string, pos: number, end: number, status: 400 | 502, facts: HeadFacts): Header[] {
  const headers: Header[] = [];
  while (pos < end) {
    if (headers.length === MAX_HEADERS) throw new HeadError(status, `more than ${MAX_HEADERS} header lines`);
    let i = pos;
    let c = b[i]!;
    while (c < 128 && TCHAR[c] === 1) c = b[++i]!;
    if (c !== 0x3a || i === pos) {
      if (c === 0x0d || c === 0x3a) throw new HeadError(status, 'malformed header line');
      throw new HeadError(status, `invalid header name '${s.slice(pos, Math.min(i + 1, pos + 40))}'`);
    }
    const name = s.slice(pos, i);
    // Optional white space around the value (RFC 9110 5.6.3); no control character but HTAB inside.
    i++;
    while (i < end && ((c = b[i]!) === 0x20 || c === 0x09)) i++;
    const from = i;
    let to = i;
    for (; i < end; i++) {
      c = b[i]!;
      if (c === 0x0d) break;
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new HeadError(status, `invalid character in header '${name}'`);
      if (c !== 0x20 && c !== 0x09) to = i + 1;
    }
    if (b[i + 1] !== 0x0a) throw new HeadError(status, `invalid character in header '${name}'`);
    const value = s.slice(from, to);
    headers.push([name, value]);
    note(facts, b, pos, name.length, value);
    pos = i + 2;
  }
  return headers;
}

function versionAt(s: string, from: number, to: number): 10 | 11 | undefined {
  if (to - from !== 8 || !s.startsWith('HTTP/1.', from)) return undefined;
  const minor = s.charCodeAt(from + 7);
  return minor === 0x31 ? 11 : minor === 0x30 ? 10 : undefined;
}

/**
 * Offset just past the blank line (CRLF CRLF) ending the head, or -1 when the head is not complete yet. `from`
 * is how far an earlier call already looked, so a head arriving in small pieces is scanned once overall.
 * A plain loop: a head is short, and a native indexOf costs more to call than this costs to run. It looks at
 * every fourth byte (any CRLF CRLF covers one of them) and around it only when that byte is CR or LF.
 */
export function headEnd(buf: Buffer, from = 0): number {
  const start = Math.max(0, from - 3);
  const len = buf.length;
  for (let i = start + 3; i < len; i += 4) {
    const c = buf[i];
    if (c !== 10 && c !== 13) continue;
    for (let p = Math.max(start, i - 3); p <= i && p + 3 < len; p++) {
      if (buf[p] === 13 && buf[p + 1] === 10 && buf[p + 2] === 13 && buf[p + 3] === 10) return p + 4;
    }
  }
  return -1;
}

export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const s = buf.toString('latin1', 0, end);
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  let pos = 0;
  while (s.startsWith('\r\n', pos)) pos += 2;
  const eol = s.indexOf('\r\n', pos);
  // method SP request-target SP HTTP-version: exactly two spaces.
  const sp1 = s.indexOf(' ', pos);
  const sp2 = sp1 < 0 ? -1 : s.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || sp2 > eol) throw new HeadError(400, 'malformed request line');
  // The version is exactly the 8 characters up to the end of the line: no third space.
  const version = versionAt(s, sp2 + 1, eol);
  if (!isToken(buf, pos, sp1) || !version || sp2 === sp1 + 1 || hasCtl(buf, sp1 + 1, sp2)) throw new HeadError(400, 'malformed request line');
  const facts = newFacts();
  const headers = parseHeaderLines(buf, s, eol + 2, end - 2, 400, facts);
  // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host is a 400; HTTP/1.0 may omit it, never repeat it.
  if (facts.hosts > 1 || (version === 11 && facts.hosts !== 1)) throw new HeadError(400, 'missing or repeated Host header');
  const uri = s.slice(sp1 + 1, sp2);
  // An absolute-form target names the host too (RFC 9112 3.2.2): where Host says otherwise, the request is
  // refused as HAProxy refuses it, so that rules, logs and the server cannot each pick a different host.
  if (uri.charCodeAt(0) !== 0x2f && facts.hosts === 1) {
    const authority = absoluteAuthority(uri);
    if (authority !== undefined && authority.toLowerCase() !== headerValues(headers, 'host')[0]!.toLowerCase()) {
      throw new HeadError(400, 'Host header does not match the request target');
    }
  }
  return { method: s.slice(pos, sp1), uri, version, headers, facts };
}

/** The authority of an absolute-form request target (`http://host:port/path`), or undefined for other forms. */
function absoluteAuthority(uri: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  return m?.[1];
}

/** The number written in the three bytes at `at`, or -1 when they are not three digits. */
function threeDigits(b: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < at + 3; i++) {
    const d = b[i]! - 0x30; // NaN past the end
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

export function parseResponseHead(buf: Buffer, end: number): ResponseHead {
  const s = buf.toString('latin1', 0, end);
  const eol = s.indexOf('\r\n');
  // HTTP-version SP 3DIGIT [SP reason-phrase]
  const version = versionAt(s, 0, 8);
  const status = threeDigits(buf, 9);
  const reasonOk = eol === 12 || (eol > 12 && buf[12] === 0x20 && !hasCtl(buf, 13, eol));
  if (!version || buf[8] !== 0x20 || status < 0 || !reasonOk) throw new HeadError(502, 'malformed status line');
  const facts = newFacts();
  const headers = parseHeaderLines(buf, s, eol + 2, end - 2, 502, facts);
  return { version, status, reason: eol > 12 ? s.slice(13, eol) : '', headers, facts };
}

export function headerValues(headers: Header[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (namedAs(n, lower)) out.push(v);
  return out;
}


export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

const NO_BODY: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };
const TO_CLOSE: Framing = { kind: 'close' };

/**
 * Body framing of a request (RFC 9112 6.3), decided once: the proxy forwards the body by this framing and writes
 * it into the head the server gets. Throws 400 on conflicting or invalid framing, which HAProxy would rewrite
 * (Content-Length beside Transfer-Encoding) or pass on (Transfer-Encoding in HTTP/1.0): refusing is the safe
 * reading of RFC 9112 6.1, as a server behind may read such a message either way.
 */
export function requestFraming(h: RequestHead): Framing {
  const { transferEncoding: te, contentLength: cl } = h.facts;
  if (te.length) {
    if (h.version === 10) throw new HeadError(400, 'transfer-encoding in an HTTP/1.0 request');
    if (cl.length) throw new HeadError(400, 'both transfer-encoding and content-length');
    // `chunked` exactly once, and last (RFC 9112 6.1).
    if (te.indexOf('chunked') !== te.length - 1) throw new HeadError(400, 'invalid transfer-encoding');
    // Other codings before it are valid HTTP, but no server is expected to decode them: HAProxy answers 422.
    if (te.length > 1) throw new HeadError(422, 'unsupported transfer-coding');
    return CHUNKED;
  }
  return lengthFraming(cl, 400) ?? NO_BODY;
}

/** Body framing of a response to `method`. */
export function responseFraming(method: string, r: ResponseHead): Framing {
  if (method === 'HEAD' || r.status === 204 || r.status === 304 || r.status < 200) return NO_BODY;
  const te = r.facts.transferEncoding;
  if (te.length) return te[te.length - 1] === 'chunked' ? CHUNKED : TO_CLOSE;
  return lengthFraming(r.facts.contentLength, 502) ?? TO_CLOSE;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function lengthFraming(values: string[], status: 400 | 502): Framing | undefined {
  if (!values.length) return undefined;
  // The usual case, one plain number, without building lists.
  let only = values[0]!;
  if (values.length > 1 || !isDigits(only)) {
    // Repeated or comma-separated, all the same number: accepted as that number (RFC 9110 8.6).
    const all = new Set(values.flatMap((v) => v.split(',').map((x) => x.trim())));
    only = [...all][0]!;
    if (all.size !== 1 || !isDigits(only)) throw new HeadError(status, 'invalid content-length');
  }
  const length = Number(only);
  return length === 0 ? NO_BODY : { kind: 'length', length };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Headers the Connection header may not remove: the proxy itself decides on them. Framing is decided once, by the
 * proxy, and written by it (a client naming Content-Length there once had its body read as a second request).
 */
const NOT_HOP_BY_HOP = new Set(['host', 'content-length']);

/**
 * The header list without hop-by-hop headers (RFC 9110 7.6.1): the fixed ones and those a Connection header
 * names, but never one of NOT_HOP_BY_HOP. Applied once, right after parsing, so rules see what the other side
 * will see and headers the rules add are never removed.
 */
export function withoutHopByHop(headers: Header[], connection: string[]): Header[] {
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !(connection.includes(lower) && !NOT_HOP_BY_HOP.has(lower));
  });
}

/** Content-Length or Transfer-Encoding: the proxy writes these itself, from its own framing of the body. */
export function isFramingHeader(name: string): boolean {
  return (name.length === 14 && namedAs(name, 'content-length')) || (name.length === 17 && namedAs(name, 'transfer-encoding'));
}

/** The framing header lines for a body framed as `f` (none for `none` and `close`). */
export function framingLines(f: Framing): string[] {
  if (f.kind === 'length') return [`content-length: ${f.length}`];
  if (f.kind === 'chunked') return ['transfer-encoding: chunked'];
  return [];
}
