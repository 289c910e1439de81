// HAProxy's log-format strings: compiled once at config load into a list of parts (text, separator, variable
// with its flags), rendered per line by walking the list (no parsing, no regex per line).
// As HAProxy: a run of spaces is one separator, written only when something was written since the last one (so
// a variable that writes nothing, like %hr without captures, leaves one space); `%%` is a percent sign; `\ `
// (the escaped space of haproxy.cfg) is a space; flags go in braces before the name, `%{+Q}r`, `%{+E,+Q}HQ`,
// and `%{+X}o` sets flags for every variable after it.
import type { AccessRecord } from './access-record.js';
import { encodeHex, ENCODE_MAPS, LOG_VARS, type LogVar } from './log-vars.js';

interface Flags {
  /** +Q: strings in double quotes */
  q: boolean;
  /** +X: numbers and addresses in hexadecimal */
  x: boolean;
  /** +E: `"`, `\` and `]` escaped with a backslash */
  e: boolean;
}

/** One shape for every part (text, separator, variable), so the render loop stays monomorphic. */
interface Part {
  t: 'text' | 'sep' | 'var';
  /** the text; the variable's name */
  s: string;
  /** a variable's writer, specialised to its flags at compile time */
  fn: ((r: AccessRecord) => string) | undefined;
}

export interface LogFormat {
  /** the source text, for equality and for messages */
  readonly text: string;
  readonly parts: readonly Part[];
  /** it writes the frontend's address (%fi, %fp): the session reads it at the accept, before a close loses it */
  readonly usesLocal: boolean;
}

export type LogFormatResult = { ok: true; format: LogFormat } | { ok: false; error: string; expected?: string; offset: number };

/** The variables' names, for error messages and the README. */
export const LOG_VAR_NAMES = Object.keys(LOG_VARS);
const FLAGS = new Set(['Q', 'X', 'E']);

/** Parse a log-format string. Errors say what and where (character offset in the string). */
export function compileLogFormat(text: string): LogFormatResult {
  const parts: Part[] = [];
  let flags: Flags = { q: false, x: false, e: false };
  let lit = '';
  const flush = () => {
    if (lit) parts.push({ t: 'text', s: lit, fn: undefined });
    lit = '';
  };
  const sep = () => {
    flush();
    if (parts.at(-1)?.t !== 'sep') parts.push({ t: 'sep', s: ' ', fn: undefined });
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ') {
      sep();
      i++;
    } else if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      if (next === ' ') sep();
      else lit += next === 't' ? '\t' : next;
      i += 2;
    } else if (ch !== '%') {
      lit += ch;
      i++;
    } else if (text[i + 1] === '%') {
      lit += '%';
      i += 2;
    } else {
      const v = parseVar(text, i, flags);
      if ('error' in v) return { ok: false, error: v.error, expected: v.expected, offset: v.at };
      i = v.end;
      if (v.name === 'o') {
        flags = v.flags;
        continue;
      }
      flush();
      parts.push({ t: 'var', s: v.name, fn: writer(LOG_VARS[v.name]!, v.flags) });
    }
  }
  flush();
  const usesLocal = parts.some((p) => p.t === 'var' && (p.s === 'fi' || p.s === 'fp'));
  return { ok: true, format: { text, parts, usesLocal } };
}

type ParsedVar = { name: string; flags: Flags; end: number } | { error: string; expected?: string; at: number };

/** `%name` or `%{flags}name` at `start` (the `%`). */
function parseVar(text: string, start: number, inherited: Flags): ParsedVar {
  let i = start + 1;
  const flags = { ...inherited };
  if (text[i] === '{') {
    const close = text.indexOf('}', i);
    if (close < 0) return { error: `unterminated flags in '${text.slice(start)}'`, expected: "flags such as %{+Q}r", at: start };
    for (const flag of text.slice(i + 1, close).split(',')) {
      const name = flag.slice(1);
      if ((flag[0] !== '+' && flag[0] !== '-') || !FLAGS.has(name)) {
        return { error: `unknown log-format flag '${flag}' in '${text.slice(start, close + 1)}'`, expected: 'one of +Q, -Q, +X, -X, +E, -E', at: start };
      }
      const key = name.toLowerCase() as keyof Flags;
      flags[key] = flag[0] === '+';
    }
    i = close + 1;
  }
  if (text[i] === '[') {
    return { error: `sample fetches in log-format ('${text.slice(start, text.indexOf(']', i) + 1 || undefined)}') are not supported`, expected: `a variable: %${LOG_VAR_NAMES.join(' %')}`, at: start };
  }
  let end = i;
  while (end < text.length && /[A-Za-z]/.test(text[end]!)) end++;
  const name = text.slice(i, end);
  if (name === 'o') return { name, flags, end };
  if (!name) return { error: `'%' without a variable name at character ${start + 1}`, expected: "a variable such as %ci, or '%%' for a percent sign", at: start };
  if (!Object.hasOwn(LOG_VARS, name)) return { error: `unknown log-format variable '%${name}'`, expected: `one of %${LOG_VAR_NAMES.join(' %')}`, at: start };
  return { name, flags, end };
}

/** The line for `r`. */
export function renderLogFormat(f: LogFormat, r: AccessRecord): string {
  let out = '';
  // HAProxy writes a separator only after something else: none at the start, never two in a row.
  let afterSep = true;
  for (const p of f.parts) {
    if (p.t === 'sep') {
      if (!afterSep) {
        out += ' ';
        afterSep = true;
      }
    } else if (p.t === 'text') {
      out += p.s;
      afterSep = false;
    } else {
      const s = p.fn!(r);
      if (s === '') continue;
      out += s;
      afterSep = false;
    }
  }
  return out;
}

/** A variable's writer for its flags, chosen once. */
function writer(v: LogVar, f: Flags): (r: AccessRecord) => string {
  if (v.num) {
    const num = v.num;
    const width = v.width ?? 0;
    if (f.x) {
      return (r) => {
        const n = num(r);
        return n >= 0 ? n.toString(16).toUpperCase().padStart(width, '0') : String(n);
      };
    }
    return (r) => String(num(r));
  }
  if (v.ip) {
    const ip = v.ip;
    const missing = f.q ? '"-"' : '-';
    if (f.x) return (r) => hexIp(ip(r)) || missing;
    return f.q ? (r) => `"${ip(r) || '-'}"` : (r) => ip(r) || '-';
  }
  if (v.raw) {
    const raw = v.raw;
    if (!f.q) return raw;
    return (r) => {
      const s = raw(r);
      return s === '' ? s : `"${s}"`;
    };
  }
  const str = v.str!;
  const map = v.encode ? ENCODE_MAPS[v.encode] : undefined;
  const { e: escape, q: quote } = f;
  return (r) => {
    let s = str(r);
    if (s === undefined || s === '') s = '-';
    else {
      if (map) s = encodeHex(s, map);
      if (escape) s = escapeE(s);
    }
    return quote ? `"${s}"` : s;
  };
}

/** +E: `"`, `\` and `]` escaped with a backslash. */
function escapeE(s: string): string {
  let out = '';
  for (const c of s) out += c === '"' || c === '\\' || c === ']' ? '\\' + c : c;
  return out;
}

/** +X addresses: IPv4 as 8 hex digits (`7F000001`), IPv6 as 32. */
function hexIp(ip: string): string {
  if (!ip) return '';
  if (!ip.includes(':')) {
    let out = '';
    for (const b of ip.split('.')) out += Number(b).toString(16).toUpperCase().padStart(2, '0');
    return out;
  }
  const [head, tail = ''] = ip.split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.toUpperCase().padStart(4, '0')).join('');
}

/** HAProxy's formats for `option httplog` and `option tcplog`, as its documentation gives them. */
export const HTTPLOG_FORMAT = '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';
export const TCPLOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

function mustCompile(text: string): LogFormat {
  const r = compileLogFormat(text);
  if (!r.ok) throw new Error(`built-in log format: ${r.error}`);
  return r.format;
}
export const HTTPLOG = mustCompile(HTTPLOG_FORMAT);
export const TCPLOG = mustCompile(TCPLOG_FORMAT);
