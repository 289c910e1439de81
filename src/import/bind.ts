// `bind ADDR[,ADDR…] [options]` → lbagent bind addresses and, with `ssl crt …`, the frontend's TLS settings.
// lbagent's TLS is per frontend, so each bind says whether it is TLS; the assembler splits a frontend whose
// binds differ. Options lbagent lacks are named in the line's leftover reason.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { translateAddress } from './address.js';
import type { Yaml } from './types.js';

export interface BindDraft {
  addrs: string[];
  /** the TLS settings of this bind (crt, alpn, min_version, ciphers) */
  ssl?: Yaml;
  /** what did not carry over; a TLS bind whose certificate is missing is dropped (`dropped`) */
  unsupported: string[];
  dropped?: string;
}

export interface PathBase {
  /** HAProxy's `crt-base` */
  crtBase?: string;
  /** HAProxy's `ca-base` */
  caBase?: string;
  /** the directory relative certificate paths are read from when there is no crt-base */
  dir: string;
}

/** `no-tlsv11` and the like: the lowest TLS version they leave. */
export const MIN_VERSION: Record<string, string> = { 'no-sslv3': 'TLSv1', 'no-tlsv10': 'TLSv1.1', 'no-tlsv11': 'TLSv1.2', 'no-tlsv12': 'TLSv1.3', 'force-tlsv12': 'TLSv1.2', 'force-tlsv13': 'TLSv1.3' };
const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const IGNORED_ARGS: Record<string, number> = { name: 1, id: 1 };
const UNSUPPORTED_ARGS: Record<string, number> = {
  'accept-proxy': 0, transparent: 0, v4v6: 0, v6only: 0, 'defer-accept': 0, tfo: 0, interface: 1, process: 1, thread: 1,
  level: 1, 'severity-output': 1, mode: 1, user: 1, group: 1, uid: 1, gid: 1, maxconn: 1, backlog: 1, nice: 1, npn: 1,
  'ssl-max-ver': 1, ciphersuites: 1, 'strict-sni': 0, 'ca-file': 1, verify: 1, 'crl-file': 1, 'tls-ticket-keys': 1,
  'no-tls-tickets': 0, 'prefer-client-ciphers': 0, curves: 1, ecdhe: 1, 'generate-certificates': 0, 'allow-0rtt': 0,
  'expose-fd': 1, 'crt-list': 1, 'crt-ignore-err': 1, 'ca-ignore-err': 1, 'ca-sign-file': 1, 'ca-sign-pass': 1,
  'ssl-min-ver-server': 1, 'no-ca-names': 0, 'quic-cc-algo': 1, proto: 1, namespace: 1, mss: 1, 'tcp-ut': 1, 'accept-netscaler-cip': 1,
};

/** Global `ssl-default-bind-*` settings applied to every TLS bind. */
export interface SslDefaults {
  ciphers?: string;
  minVersion?: string;
}

export function translateBind(words: string[], base: PathBase, sslDefaults: SslDefaults): BindDraft {
  const [list, ...opts] = words;
  const b: BindDraft = { addrs: [], unsupported: [] };
  for (const text of (list ?? '').split(',').filter(Boolean)) {
    for (const t of expandPortRange(text)) {
      const a = translateAddress(t, { listen: true });
      if ('addr' in a) b.addrs.push(a.addr);
      else b.unsupported.push(a.left);
    }
  }
  const { ssl, crts, tls } = readBindOptions(opts, b);
  if (ssl) tlsSettings(b, crts, tls, base, sslDefaults);
  return b;
}

/** `ADDR:8000-8010` → one address per port; a range of 64 ports or more (or backwards) stays as written. */
function expandPortRange(text: string): string[] {
  const range = /^(.*):(\d+)-(\d+)$/.exec(text);
  if (!(range && Number(range[3]) - Number(range[2]) < 64 && Number(range[3]) >= Number(range[2]))) return [text];
  return Array.from({ length: Number(range[3]) - Number(range[2]) + 1 }, (_, i) => `${range[1]}:${Number(range[2]) + i}`);
}

/** The words after the addresses: TLS settings are collected, anything lbagent lacks goes to `b.unsupported`. */
function readBindOptions(opts: string[], b: BindDraft): { ssl: boolean; crts: string[]; tls: Yaml } {
  const crts: string[] = [];
  let ssl = false;
  const tls: Yaml = {};
  for (let i = 0; i < opts.length; i++) {
    const w = opts[i]!;
    const v = opts[i + 1];
    if (w === 'ssl') ssl = true;
    else if (w === 'crt' && v !== undefined) {
      crts.push(v);
      i++;
    }
    else if (w === 'alpn' && v !== undefined) {
      const protos = v.split(',');
      if (protos.some((p) => p !== 'http/1.1')) b.unsupported.push(`alpn ${v} (lbagent speaks HTTP/1.1 only: alpn http/1.1)`);
      tls.alpn = ['http/1.1'];
      i++;
    } else if (w === 'ssl-min-ver' && v !== undefined) {
      if (VERSIONS.includes(v)) tls.min_version = v;
      else b.unsupported.push(`ssl-min-ver ${v}`);
      i++;
    } else if (w in MIN_VERSION) tls.min_version = maxVersion(tls.min_version as string | undefined, MIN_VERSION[w]!);
    else if (w === 'ciphers' && v !== undefined) {
      tls.ciphers = v;
      i++;
    }
    else if (w in IGNORED_ARGS) i += IGNORED_ARGS[w]!;
    else {
      const n = UNSUPPORTED_ARGS[w] ?? 0;
      b.unsupported.push(opts.slice(i, i + 1 + n).join(' '));
      i += n;
    }
  }
  return { ssl, crts, tls };
}

/** A TLS bind: `b.ssl` with its one certificate and the global defaults, or `b.dropped` saying why not. */
function tlsSettings(b: BindDraft, crts: string[], tls: Yaml, base: PathBase, sslDefaults: SslDefaults): void {
  if (crts.length !== 1) {
    b.dropped = crts.length === 0 ? 'a TLS bind without crt' : `several crt files (${crts.join(', ')}); lbagent takes one file or a directory of them`;
    return;
  }
  const crt = isAbsolute(crts[0]!) ? crts[0]! : join(base.crtBase ?? base.dir, crts[0]!);
  if (!existsSync(crt)) {
    b.dropped = `certificate '${crt}' not found`;
    return;
  }
  b.ssl = { crt, ...tls };
  if (sslDefaults.ciphers && b.ssl.ciphers === undefined) b.ssl.ciphers = sslDefaults.ciphers;
  if (sslDefaults.minVersion) b.ssl.min_version = maxVersion(b.ssl.min_version as string | undefined, sslDefaults.minVersion);
}

export function maxVersion(a: string | undefined, b: string): string {
  return a === undefined || VERSIONS.indexOf(b) > VERSIONS.indexOf(a) ? b : a;
}
