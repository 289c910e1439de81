// Just enough HTTP/1.x response parsing for a health check: status line, framing, body (capped).

/** HAProxy reads a check response into one buffer; we keep at most this much of it. */
export const MAX_CHECK_RESPONSE = 16_384;

export interface ParsedResponse {
  code: number;
  reason: string;
  body: string;
}

export type ParseState =
  | { done: false } // need more bytes
  | { done: true; response: ParsedResponse }
  | { done: true; invalid: true };

/**
 * Parse what arrived so far. `ended`: the server closed, so a body without length ends here.
 * `head`: the request was HEAD (no body follows).
 */
export function parseResponse(buf: Buffer, ended: boolean, head: boolean): ParseState {
  const headerEnd = buf.indexOf('\r\n\r\n');
  if (headerEnd < 0) {
    if (ended || buf.length >= MAX_CHECK_RESPONSE) return { done: true, invalid: true };
    return { done: false };
  }
  const lines = buf.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!status) return { done: true, invalid: true };
  const code = Number(status[1]);
  const reason = status[2] ?? '';
  const framing = readFraming(lines);
  if (!framing) return { done: true, invalid: true };
  const raw = buf.subarray(headerEnd + 4);
  const noBody = head || code === 204 || code === 304 || (code >= 100 && code < 200);
  if (noBody) return done(code, reason, '');
  const body = bodyOf(raw, framing, ended || buf.length >= MAX_CHECK_RESPONSE);
  return body === undefined ? { done: false } : done(code, reason, body);
}

interface Framing {
  length: number | undefined;
  chunked: boolean;
}

/** The header lines after the status line: how the body is framed; undefined for a malformed header. */
function readFraming(lines: string[]): Framing | undefined {
  let length: number | undefined;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return undefined;
      length = Number(value);
    } else if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
  }
  return { length, chunked };
}

/** The body once complete; `full` (server closed, or the cap reached): whatever arrived. Undefined: wait for more. */
function bodyOf(raw: Buffer, { length, chunked }: Framing, full: boolean): string | undefined {
  if (chunked) {
    const body = dechunk(raw);
    if (body !== undefined) return body;
  } else if (length !== undefined && raw.length >= length) return raw.subarray(0, length).toString('utf8');
  return full ? raw.toString('utf8') : undefined;
}

function done(code: number, reason: string, body: string): ParseState {
  return { done: true, response: { code, reason, body } };
}

/** The decoded body once the last chunk arrived; undefined while incomplete. */
function dechunk(raw: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) return undefined;
    const size = parseInt(raw.subarray(pos, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    if (raw.length < eol + 2 + size + 2) return undefined;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}
