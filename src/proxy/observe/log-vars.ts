// The log-format variables lbagent knows (a subset of HAProxy's, listed in the README), each reading one field of
// an AccessRecord. Strings and numbers are told apart because HAProxy's flags (+Q, +E, +X) apply by type.
import { hostname } from 'node:os';
import type { AccessRecord } from './access-record.js';

export interface LogVar {
  /** a string field: `-` when empty or absent, quoted with +Q, escaped with +E */
  str?: (r: AccessRecord) => string | undefined;
  /** a number field: hexadecimal with +X, `width` digits */
  num?: (r: AccessRecord) => number;
  /** an address: 8 hex digits (IPv4) or 32 (IPv6) with +X */
  ip?: (r: AccessRecord) => string;
  /** written as it is (dates, captures: their own encoding); an empty string writes nothing */
  raw?: (r: AccessRecord) => string;
  width?: number;
  /** %hr/%hs/%r: values that need HAProxy's `#XX` encoding */
  encode?: 'hdr' | 'url';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? '0' + n : String(n));
const p3 = (n: number) => (n < 10 ? '00' + n : n < 100 ? '0' + n : String(n));

// Lines of the same second share their date text: made once per second, not per line.
let cachedSec = -1;
let cachedDate = '';
/** `06/Feb/2009:12:14:14` in local time, as HAProxy's %t. */
function dateSecond(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000);
    cachedDate = `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    cachedSec = sec;
  }
  return cachedDate;
}
/** %t, %tr: `06/Feb/2009:12:14:14.655` */
export const dateMs = (ms: number) => `${dateSecond(ms)}.${p3(ms % 1000)}`;

/** `06/Feb/2009:12:14:14 +0000` in GMT (%T) or local time with its offset (%Tl). */
function dateZone(ms: number, gmt: boolean): string {
  const d = new Date(ms);
  if (gmt) return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${dateSecond(ms)} ${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

/** `{v1|v2}`: HAProxy's captured headers; nothing at all when none is captured. */
const captures = (list: string[] | undefined) => (list && list.length ? `{${list.map((v) => encodeHex(v, HDR_MAP)).join('|')}}` : '');

const uriPath = (u: string | undefined) => {
  if (u === undefined) return undefined;
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
};
const uriQuery = (u: string | undefined) => {
  const q = u === undefined ? -1 : u.indexOf('?');
  return q < 0 ? '' : u!.slice(q);
};

const ms = (t: number) => t;
const HOST = hostname();

/** The variables, by their name after `%`. */
export const LOG_VARS: Record<string, LogVar> = {
  ci: { ip: (r) => r.client },
  cp: { num: (r) => r.clientPort, width: 4 },
  fi: { ip: (r) => r.frontendIp },
  fp: { num: (r) => r.frontendPort, width: 4 },
  f: { str: (r) => r.frontend },
  ft: { str: (r) => (r.tls ? r.frontend + '~' : r.frontend) },
  fc: { num: (r) => r.feconn },
  b: { str: (r) => r.backend },
  bc: { num: (r) => r.beconn },
  s: { str: (r) => r.server },
  si: { ip: (r) => r.serverIp },
  sp: { num: (r) => r.serverPort, width: 4 },
  sc: { num: (r) => r.srvconn },
  ac: { num: (r) => r.actconn },
  rc: { num: (r) => r.retries },
  sq: { num: (r) => r.srvQueue },
  bq: { num: (r) => r.backendQueue },
  t: { raw: (r) => dateMs(r.accepted) },
  tr: { raw: (r) => dateMs(r.requestAt) },
  T: { raw: (r) => dateZone(r.accepted, true) },
  Tl: { raw: (r) => dateZone(r.accepted, false) },
  Ts: { num: (r) => Math.floor(r.accepted / 1000), width: 8 },
  ms: { raw: (r) => p3(r.accepted % 1000) },
  Th: { num: () => 0 },
  Ti: { num: (r) => ms(r.idle) },
  TR: { num: (r) => r.timers.Tq },
  Tq: { num: (r) => (r.timers.Tq < 0 ? -1 : Math.max(0, r.idle) + r.timers.Tq) },
  Tw: { num: (r) => r.timers.Tw },
  Tc: { num: (r) => r.timers.Tc },
  Tr: { num: (r) => r.timers.Tr },
  Ta: { num: (r) => r.timers.Tt },
  Td: { num: (r) => dataTime(r) },
  Tt: { num: (r) => r.now - r.accepted },
  ST: { num: (r) => r.status ?? -1 },
  B: { num: (r) => r.bytesRead },
  U: { num: (r) => r.bytesUploaded },
  CC: { str: () => undefined },
  CS: { str: () => undefined },
  ts: { raw: (r) => r.termination },
  tsc: { raw: (r) => r.termination + r.cookie },
  hr: { raw: (r) => captures(r.reqCaptures) },
  hs: { raw: (r) => captures(r.resCaptures) },
  r: { str: (r) => r.request, encode: 'url' },
  HM: { str: (r) => r.method },
  HU: { str: (r) => r.uri, encode: 'url' },
  HP: { str: (r) => uriPath(r.uri), encode: 'url' },
  HQ: { str: (r) => uriQuery(r.uri), encode: 'url' },
  HV: { str: (r) => r.version },
  ID: { str: (r) => r.uniqueId },
  pid: { num: () => process.pid, width: 4 },
  H: { str: () => HOST },
  rt: { num: (r) => r.counter, width: 4 },
};

/** %Td: the data transfer time, what is left of %Ta after the other phases; -1 when one was not reached. */
function dataTime(r: AccessRecord): number {
  const t = r.timers;
  if (t.Tq < 0 || t.Tw < 0 || t.Tc < 0 || t.Tr < 0) return -1;
  return t.Tt - (t.Tq + t.Tw + t.Tc + t.Tr);
}

/**
 * HAProxy's encoding maps: which bytes of a value are written `#XX`. Headers (%hr, %hs): control characters, DEL
 * and above, `"`, `#`, `{`, `|`, `}`; the request line and URI: control characters, DEL and above, `"`, `#`.
 */
const URL_MAP = makeMap('"#');
const HDR_MAP = makeMap('"#{|}');
function makeMap(extra: string): Uint8Array {
  const m = new Uint8Array(256);
  for (let i = 0; i < 32; i++) m[i] = 1;
  for (let i = 127; i < 256; i++) m[i] = 1;
  for (const c of extra) m[c.charCodeAt(0)] = 1;
  return m;
}
export const ENCODE_MAPS = { url: URL_MAP, hdr: HDR_MAP };

/** `v` with the bytes of `map` as `#XX`; the same string when there are none (the common case: no copy). */
export function encodeHex(v: string, map: Uint8Array): string {
  let i = 0;
  for (; i < v.length; i++) if (map[v.charCodeAt(i) & 0xff] || v.charCodeAt(i) > 0xff) break;
  if (i === v.length) return v;
  let out = v.slice(0, i);
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    out += c > 0xff || map[c] ? '#' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0') : v[i];
  }
  return out;
}
