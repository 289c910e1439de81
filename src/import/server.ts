// `server NAME ADDR [options]` and `default-server [options]` → an lbagent server entry (name, addr, weight,
// backup, maxconn, check, inter, rise, fall, port, slowstart) and, for `ssl verify … ca-file … sni …`, the TLS settings
// lbagent keeps per backend. Options lbagent lacks are named in the line's leftover reason; the rest applies.
import { translateAddress } from './address.js';
import type { Yaml } from './types.js';
import { durationText } from './units.js';

/** Options with their number of arguments, and what becomes of them. */
const NUMBER = (key: string, min: number, max: number) => ({ args: 1, apply: (s: ServerDraft, v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) return `${key} '${v}' is not a number from ${min} to ${max}`;
  s.yaml[key] = n;
  return undefined;
} });

export interface ServerDraft {
  yaml: Yaml;
  /** TLS to this server: verify, ca_file, sni (undefined: plain TCP) */
  ssl?: Yaml;
  cookie?: string;
  unsupported: string[];
}

type Option = { args: number; apply: (s: ServerDraft, v: string) => string | undefined };

const OPTIONS: Record<string, Option> = {
  check: { args: 0, apply: (s) => void (s.yaml.check = true) },
  'no-check': { args: 0, apply: (s) => void delete s.yaml.check },
  backup: { args: 0, apply: (s) => void (s.yaml.backup = true) },
  'no-backup': { args: 0, apply: (s) => void delete s.yaml.backup },
  enabled: { args: 0, apply: () => undefined },
  weight: NUMBER('weight', 0, 256),
  maxconn: NUMBER('maxconn', 0, 1_000_000),
  rise: NUMBER('rise', 1, 1000),
  fall: NUMBER('fall', 1, 1000),
  port: NUMBER('port', 1, 65535),
  inter: { args: 1, apply: (s, v) => {
    const d = durationText(v);
    if (d === undefined) return `inter '${v}' is not a duration`;
    s.yaml.inter = d;
    return undefined;
  } },
  slowstart: { args: 1, apply: (s, v) => {
    const d = durationText(v);
    if (d === undefined) return `slowstart '${v}' is not a duration`;
    s.yaml.slowstart = d;
    return undefined;
  } },
  cookie: { args: 1, apply: (s, v) => void (s.cookie = v) },
  ssl: { args: 0, apply: (s) => void (s.ssl ??= {}) },
  'no-ssl': { args: 0, apply: (s) => void delete s.ssl },
  verify: { args: 1, apply: (s, v) => {
    if (v !== 'none' && v !== 'required') return `verify '${v}'`;
    (s.ssl ??= {}).verify = v;
    return undefined;
  } },
  'ca-file': { args: 1, apply: (s, v) => void ((s.ssl ??= {}).ca_file = v) },
  sni: { args: 1, apply: (s, v) => {
    const m = /^str\((.+)\)$/.exec(v);
    if (!m) return `sni '${v}' (only a constant str(NAME) has an lbagent equivalent)`;
    (s.ssl ??= {}).sni = m[1];
    return undefined;
  } },
};

/** Options lbagent lacks, with their number of arguments (so the next option is read right). */
const UNSUPPORTED_ARGS: Record<string, number> = {
  fastinter: 1, downinter: 1, minconn: 1, maxqueue: 1, id: 1, track: 1, observe: 1, 'on-error': 1,
  'on-marked-down': 1, 'on-marked-up': 1, 'error-limit': 1, 'agent-check': 0, 'agent-port': 1, 'agent-inter': 1,
  'agent-send': 1, 'agent-addr': 1, addr: 1, resolvers: 1, 'resolve-prefer': 1, 'resolve-net': 1, 'init-addr': 1,
  socks4: 1, 'check-via-socks4': 0, 'send-proxy': 0, 'send-proxy-v2': 0, 'send-proxy-v2-ssl': 0, 'send-proxy-v2-ssl-cn': 0,
  'check-send-proxy': 0, 'check-ssl': 0, 'check-sni': 1, crt: 1, alpn: 1, 'check-alpn': 1, proto: 1, 'check-proto': 1,
  source: 1, namespace: 1, 'pool-max-conn': 1, 'pool-purge-delay': 1, 'pool-low-conn': 1, 'max-reuse': 1, redir: 1,
  'non-stick': 0, disabled: 0, 'ssl-min-ver': 1, 'ssl-max-ver': 1, ciphers: 1, ciphersuites: 1, 'no-sslv3': 0,
  'no-tlsv10': 0, 'no-tlsv11': 0, 'no-tlsv12': 0, 'no-tlsv13': 0, 'force-tlsv12': 0, 'no-tls-tickets': 0, tfo: 0,
  'tcp-ut': 1, 'crl-file': 1, 'usesrc': 1, 'log-proto': 1, 'set-proxy-v2-tlv-fmt': 1, 'ws': 1, 'guid': 1, 'hash-key': 1,
};

/** Applies option words to a draft (for `default-server`, and then each `server`'s own). */
export function applyServerOptions(s: ServerDraft, words: string[]): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const opt = OPTIONS[w];
    if (opt) {
      const v = words[i + 1];
      if (opt.args && v === undefined) {
        s.unsupported.push(`'${w}' without its value`);
        continue;
      }
      const problem = opt.apply(s, v ?? '');
      if (problem) s.unsupported.push(problem);
      i += opt.args;
      continue;
    }
    const n = UNSUPPORTED_ARGS[w] ?? 0;
    s.unsupported.push(words.slice(i, i + 1 + n).join(' '));
    i += n;
  }
}

export function newServerDraft(): ServerDraft {
  return { yaml: {}, unsupported: [] };
}

/** `server NAME ADDR opts…` with the backend's `default-server` options first. */
export function translateServer(words: string[], defaults: string[]): ServerDraft | { left: string } {
  const [name, address, ...opts] = words;
  if (!name || !address) return { left: 'a server line needs a name and an address' };
  const a = translateAddress(address, { listen: false });
  if ('left' in a) return { left: `server '${name}' not carried over: ${a.left}` };
  const s = newServerDraft();
  s.yaml.name = name;
  s.yaml.addr = a.addr;
  const fromDefaults = newServerDraft();
  applyServerOptions(fromDefaults, defaults);
  Object.assign(s.yaml, fromDefaults.yaml);
  if (fromDefaults.ssl) s.ssl = { ...fromDefaults.ssl };
  applyServerOptions(s, opts);
  // order as a reader expects: name, addr first
  s.yaml = { name, addr: a.addr, ...s.yaml };
  return s;
}
