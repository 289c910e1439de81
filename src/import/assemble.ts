// The whole file: global, defaults inheritance (HAProxy's rule: a proxy takes the last `defaults` above it, or the
// one it names with `from`), proxies, then what only the whole picture decides: a frontend whose binds mix TLS and
// clear text becomes two lbagent frontends, a stats-only proxy becomes `stats:`, a backend's HTTP rules move to the
// frontends that reach only it, one shared `defaults` is written once.
import { isDeepStrictEqual } from 'node:util';
import { translateGlobal } from './global.js';
import { frontendRule, sectionBinds, translateProxy, type ProxyContext, type ProxyDraft, type ProxyKind } from './proxy.js';
import { parseSections, type Section } from './sections.js';
import type { Env } from './tokenize.js';
import { carried, left, noted, type Directive, type Note, type Verdict, type Yaml } from './types.js';
import type { BindDraft, PathBase } from './bind.js';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface Assembled {
  config: Yaml;
  verdicts: Map<Directive, Verdict>;
  /** notes that belong to no single directive's verdict (an added backend …) */
  notes: Note[];
  sections: number;
}

/** Where each lbagent section came from, for the assembler's later passes. */
interface Proxy {
  section: Section;
  kind: Exclude<ProxyKind, 'defaults'>;
  /** one draft, or two (clear text, then TLS) */
  drafts: ProxyDraft[];
  /** per draft: its bind addresses and TLS settings */
  binds: { addrs: string[]; ssl?: Yaml }[];
  inherited?: ProxyDraft;
}

const LOG_KEYS = ['log', 'httplog', 'tcplog', 'dontlognull', 'log_format', 'unique_id_format', 'unique_id_header'];
const DEFAULT_KEYS = ['mode', 'balance', 'maxconn', 'retries', 'redispatch', 'forwardfor', 'timeout', 'httpclose', 'http-server-close', ...LOG_KEYS];
const FRONTEND_KEYS = ['bind', 'mode', 'ssl', 'default_backend', 'maxconn', 'timeout', 'forwardfor', 'httpclose', 'http-server-close', 'acl', 'use_backend', 'http-request', 'http-response', ...LOG_KEYS, 'capture'];
const BACKEND_KEYS = ['mode', 'balance', 'retries', 'redispatch', 'timeout', 'httpclose', 'http-server-close', 'check', 'cookie', 'server_ssl', 'acl', 'http-request', 'http-response', 'servers'];
const NO_BACKEND = 'no-backend';

/** Several verdicts on one directive (a proxy translated twice): left over if either left it. */
function combine(a: Verdict | undefined, b: Verdict): Verdict {
  if (a === undefined) return b;
  if (typeof a === 'object' && 'left' in a) return a;
  if (typeof b === 'object' && 'left' in b) return b;
  return typeof a === 'object' ? a : b;
}

type SetVerdict = (d: Directive, v: Verdict) => void;

export function assemble(text: string, file: string, env?: Env): Assembled {
  const parsed = parseSections(text, file, env);
  const verdicts = new Map<Directive, Verdict>();
  const notes: Note[] = [];
  const set: SetVerdict = (d, v) => verdicts.set(d, combine(verdicts.get(d), v));
  for (const e of parsed.errors) set(e.directive, left(`cannot read this line: ${e.reason}`));

  const globals = parsed.sections.filter((s) => s.kind === 'global');
  const g = translateGlobal(globals.flatMap((s) => s.directives), file);
  for (const s of globals) set(s.header, carried);
  for (const [d, v] of g.verdicts) set(d, v);
  const { proxies, last } = translateSections(parsed.sections, { paths: g.paths, sslDefaults: g.sslDefaults }, set);

  const config: Yaml = {};
  if (Object.keys(g.yaml).length) config.global = g.yaml;
  statsPages(proxies, config, set);
  for (const p of proxies) for (const d of p.drafts) d.yaml.mode ??= 'tcp'; // HAProxy's default mode
  moveBackendRules(proxies, set);
  const backendsNeeded = missingDefaultBackends(proxies, notes);
  const shared = sharedDefaults(proxies) ?? (proxies.length === 0 ? last : undefined);
  if (shared) config.defaults = pick(shared.yaml, DEFAULT_KEYS);

  unboundFrontends(proxies, set);
  Object.assign(config, proxyEntries(proxies, shared, g.paths, set, backendsNeeded));
  if (!config.frontends && !config.listen) {
    const at = parsed.sections[0]?.header ?? { file, line: 1, words: [] };
    notes.push({ file, line: at.line, text: at.words.join(' '), reason: "no frontend or listen: lbagent check says the config will not start (no listener), as lbagent's balancer would refuse it; add a frontend" });
  }
  return { config, verdicts, notes, sections: parsed.sections.length };
}

/** The proxy sections in order, each started from the defaults it inherits; `last` is the last defaults section. */
function translateSections(sections: Section[], ctx: Omit<ProxyContext, 'ssl'>, set: SetVerdict): { proxies: Proxy[]; last: ProxyDraft | undefined } {
  const named = new Map<string, ProxyDraft>();
  let last: ProxyDraft | undefined;
  const proxies: Proxy[] = [];
  for (const section of sections) {
    if (section.kind === 'global') continue;
    if (section.kind === 'foreign') {
      const why = `the '${section.keyword}' section has no lbagent equivalent`;
      for (const d of [section.header, ...section.directives]) set(d, left(why));
      continue;
    }
    const from = inheritedDefaults(section, named, last, set);
    if (section.kind !== 'defaults') {
      proxies.push(translateSection(section, section.kind, ctx, from, set));
      continue;
    }
    const draft = translateProxy(section, 'defaults', { ...ctx, ssl: false }, from);
    for (const [d, v] of draft.verdicts) set(d, v);
    set(section.header, carried);
    if (section.name && section.name !== 'from') named.set(section.name, draft);
    last = draft;
  }
  return { proxies, last };
}

/** A defaults section starts afresh unless it names another (`from NAME`); a proxy takes the last one above it. */
function inheritedDefaults(section: Section, named: Map<string, ProxyDraft>, last: ProxyDraft | undefined, set: SetVerdict): ProxyDraft | undefined {
  const words = section.header.words;
  const fromAt = words.indexOf('from');
  const fromName = fromAt > 0 ? words[fromAt + 1] : undefined;
  if (fromName === undefined) return section.kind === 'defaults' ? undefined : last;
  const from = named.get(fromName);
  if (!from) set(section.header, left(`defaults '${fromName}' is not defined above`));
  return from;
}

/** The `frontends`, `backends` and `listen` maps, each only when it has an entry. */
function proxyEntries(proxies: Proxy[], shared: ProxyDraft | undefined, paths: PathBase, set: SetVerdict, backendsNeeded: boolean): Yaml {
  const frontends: Yaml = {};
  const backends: Yaml = {};
  const listen: Yaml = {};
  for (const p of proxies) {
    p.drafts.forEach((draft, i) => {
      const yaml = sectionYaml(draft, p.binds[i]!, shared, paths, set);
      if (p.kind === 'frontend') frontends[draft.name] = pick(yaml, FRONTEND_KEYS);
      else if (p.kind === 'backend') backends[draft.name] = pick(yaml, BACKEND_KEYS);
      else listen[draft.name] = pick(yaml, [...new Set([...FRONTEND_KEYS, ...BACKEND_KEYS])]);
    });
  }
  if (backendsNeeded && !backends[NO_BACKEND]) backends[NO_BACKEND] = { mode: 'http' };
  const out: Yaml = {};
  if (Object.keys(frontends).length) out.frontends = frontends;
  if (Object.keys(backends).length) out.backends = backends;
  if (Object.keys(listen).length) out.listen = listen;
  return out;
}

function translateSection(section: Section, kind: Proxy['kind'], ctx: Omit<ProxyContext, 'ssl'>, from: ProxyDraft | undefined, set: (d: Directive, v: Verdict) => void): Proxy {
  set(section.header, carried);
  if (kind === 'backend') {
    const draft = translateProxy(section, kind, { ...ctx, ssl: undefined }, from);
    for (const [d, v] of draft.verdicts) set(d, v);
    return { section, kind, drafts: [draft], binds: [{ addrs: [] }], inherited: from };
  }
  const binds = sectionBinds(section, ctx);
  const clear: string[] = [];
  const tls: { addrs: string[]; ssl?: Yaml } = { addrs: [] };
  for (const { d, b } of binds) set(d, bindVerdict(b, tls, clear));
  const groups = [...(clear.length || !tls.addrs.length ? [{ addrs: clear, ssl: undefined }] : []), ...(tls.addrs.length ? [tls] : [])];
  const drafts = groups.map((grp, i) => {
    const draft = translateProxy(section, kind, { ...ctx, ssl: grp.ssl !== undefined }, from);
    if (i > 0) draft.name = `${section.name}-tls`;
    for (const [d, v] of draft.verdicts) if (d.words[0] !== 'bind') set(d, v);
    return draft;
  });
  return { section, kind, drafts, binds: groups, inherited: from };
}

/** Sorts a bind's addresses into the clear or the TLS group; a TLS bind whose settings differ is left out. */
function bindVerdict(b: BindDraft, tls: { addrs: string[]; ssl?: Yaml }, clear: string[]): Verdict {
  if (b.dropped) return left(`TLS bind ${b.addrs.join(',')} left out: ${b.dropped}`);
  if (b.ssl) {
    if (tls.ssl && !isDeepStrictEqual(tls.ssl, b.ssl)) return left("lbagent's TLS settings are per frontend: this bind's differ from the first TLS bind's; it is left out");
    tls.ssl = b.ssl;
    tls.addrs.push(...b.addrs);
  } else clear.push(...b.addrs);
  if (b.addrs.length === 0) return left(`no address lbagent can listen on${b.unsupported.length ? `: ${b.unsupported.join(', ')}` : ''}`);
  if (b.unsupported.length) return left(`bind options without lbagent equivalent: ${b.unsupported.join(', ')} (the address is carried over)`);
  return carried;
}

function isStatsOnly(d: ProxyDraft): boolean {
  return d.stats.some((s) => s.words[0] === 'uri' || s.words[0] === 'enable') && d.servers.length === 0 && !d.yaml.default_backend && d.rules.use_backend.length === 0;
}

const STATS_PROXY_KEEPS = new Set(['bind', 'mode', 'log', 'stats']);

/** A proxy that only serves HAProxy's stats page becomes lbagent's `stats:` (one page; its own address). */
function statsPages(proxies: Proxy[], config: Yaml, set: (d: Directive, v: Verdict) => void): void {
  for (const p of [...proxies]) {
    const draft = p.drafts[0]!;
    if (!draft.stats.length) continue;
    const addr = p.binds[0]?.addrs[0];
    if (!isStatsOnly(draft) || p.drafts.length > 1 || addr === undefined) {
      for (const s of draft.stats) set(s.d, left("lbagent serves its stats page on an address of its own (stats.bind), not inside a proxy that carries traffic"));
      continue;
    }
    if (config.stats) {
      const why = `lbagent has one stats page; the first one (${String((config.stats as Yaml).bind)}) is kept`;
      for (const d of [p.section.header, ...p.section.directives]) set(d, left(why));
      proxies.splice(proxies.indexOf(p), 1);
      continue;
    }
    const stats: Yaml = { bind: addr, uri: '/haproxy?stats' }; // HAProxy's default stats URI
    for (const { d, words } of draft.stats) {
      const [what, ...rest] = words;
      if (what === 'uri') stats.uri = rest[0];
      else if (what === 'auth' && rest[0]) ((stats.auth ??= []) as string[]).push(rest[0]);
      else if (what === 'refresh') stats.refresh = rest[0];
      else if (what === 'realm') stats.realm = rest.join(' ');
      else if (what !== 'enable') set(d, left(`stats ${what ?? ''} without its value`));
    }
    if (p.binds[0]!.addrs.length > 1) set(p.section.header, left(`lbagent's stats page has one address; ${p.binds[0]!.addrs.slice(1).join(', ')} left out`));
    for (const d of p.section.directives) {
      if (!STATS_PROXY_KEEPS.has(d.words[0]!)) set(d, left("lbagent's stats page has no settings of its own for this"));
    }
    config.stats = stats;
    proxies.splice(proxies.indexOf(p), 1);
  }
}

/** Which frontends' traffic reaches a backend, and whether only through default_backend with no use_backend. */
function reachers(proxies: Proxy[], backend: string): { drafts: ProxyDraft[]; exclusive: boolean } {
  const drafts: ProxyDraft[] = [];
  let exclusive = true;
  for (const p of proxies) {
    if (p.kind === 'backend') continue;
    for (const d of p.drafts) {
      const byRule = d.rules.use_backend.some((u) => u.backend === backend);
      if (d.yaml.default_backend !== backend && !byRule) continue;
      drafts.push(d);
      if (byRule || d.rules.use_backend.length > 0 || d.yaml.default_backend !== backend) exclusive = false;
    }
  }
  return { drafts, exclusive: exclusive && drafts.length > 0 };
}

/**
 * A backend reached only as the default_backend of frontends without use_backend sees exactly their traffic: its
 * rules and forwardfor move there, after theirs, as HAProxy runs a backend's rules after the frontend's (and
 * `ssl_fc` is known there). Elsewhere its rules stay in the backend (lbagent's backends have acl, http-request and
 * http-response); forwardfor, a frontend key in lbagent, is listed.
 */
function moveBackendRules(proxies: Proxy[], set: (d: Directive, v: Verdict) => void): void {
  for (const p of proxies) {
    if (p.kind !== 'backend') continue;
    const draft = p.drafts[0]!;
    if (!draft.backendRules.length) continue;
    const { drafts, exclusive } = reachers(proxies, draft.name);
    const why = drafts.length === 0 ? 'no frontend uses this backend' : 'other traffic reaches those frontends (use_backend), so its rules cannot move there';
    for (const d of draft.backendRules) {
      if (!exclusive) {
        // lbagent's backends have acl / http-request / http-response of their own, run after the frontend's
        if (d.words[0] === 'option') set(d, left(`lbagent has forwardfor on frontends only; ${why}`));
        else set(d, (draft.yaml.mode ?? 'tcp') !== 'http' && d.words[0] !== 'acl' ? left(`'${d.words[0]}' needs mode http`) : frontendRule(draft, d.words[0]!, d.words.slice(1)));
        continue;
      }
      const [kw, ...args] = d.words as [string, ...string[]];
      for (const front of drafts) {
        if (kw === 'acl' && front.acls.defs.has(args[0] ?? '')) {
          set(d, left(`ACL '${args[0]}' is also defined in frontend '${front.name}', where this backend's rules would go`));
          continue;
        }
        const v = (front.yaml.mode ?? 'tcp') !== 'http' && kw !== 'acl' ? left(`'${kw}' needs mode http`) : frontendRule(front, kw, args);
        set(d, typeof v === 'object' ? v : noted(`moved to frontend '${front.name}', the only way into this backend`));
      }
    }
  }
}

/**
 * A frontend left with no address lbagent can listen on (a socket path, a TLS bind whose certificate is missing)
 * is left out; a listen keeps its backend half, which frontends may route to.
 */
function unboundFrontends(proxies: Proxy[], set: (d: Directive, v: Verdict) => void): void {
  for (const p of [...proxies]) {
    if (p.kind === 'backend') continue;
    const bound = p.binds.map((b) => b.addrs.length > 0);
    p.drafts = p.drafts.filter((_, i) => bound[i]);
    p.binds = p.binds.filter((_, i) => bound[i]);
    if (p.drafts.length > 0) continue;
    if (p.kind === 'listen') {
      // read again as a backend: its frontend lines (rules, binds) are left over by the backend translation's own rules
      const draft = translateProxy(p.section, 'backend', { paths: { dir: '' }, sslDefaults: {}, ssl: undefined }, p.inherited);
      draft.name = p.section.name;
      Object.assign(p, { kind: 'backend', drafts: [draft], binds: [{ addrs: [] }] });
      set(p.section.header, left(`listen '${p.section.name}' has no address lbagent can listen on: only its backend half is kept`));
      continue;
    }
    for (const d of [p.section.header, ...p.section.directives]) set(d, left(`frontend '${p.section.name}' has no address lbagent can listen on, so it is left out`));
    proxies.splice(proxies.indexOf(p), 1);
  }
}

/** HAProxy answers 503 when nothing routes a request; lbagent needs a default_backend: an empty one answers 503. */
function missingDefaultBackends(proxies: Proxy[], notes: Note[]): boolean {
  let needed = false;
  for (const p of proxies) {
    if (p.kind !== 'frontend') continue;
    for (const d of p.drafts) {
      if (d.yaml.default_backend) continue;
      d.yaml.default_backend = NO_BACKEND;
      needed = true;
      const h = p.section.header;
      notes.push({ file: h.file, line: h.line, text: h.words.join(' '), reason: `no default_backend: requests no rule routes go to the empty backend '${NO_BACKEND}' (503, as HAProxy answers)` });
    }
  }
  return needed;
}

/** One defaults section behind every proxy is written once, as lbagent's `defaults:`. */
function sharedDefaults(proxies: Proxy[]): ProxyDraft | undefined {
  const used = new Set(proxies.map((p) => p.inherited));
  const [only] = used;
  return used.size === 1 && only ? only : undefined;
}

function pick(yaml: Yaml, keys: string[]): Yaml {
  const out: Yaml = {};
  for (const k of keys) if (yaml[k] !== undefined && !(Array.isArray(yaml[k]) && (yaml[k] as unknown[]).length === 0 && k !== 'servers')) out[k] = yaml[k];
  return out;
}

/** A draft as its lbagent entry: inherited values the shared defaults already give dropped, servers and TLS settled. */
function sectionYaml(draft: ProxyDraft, binds: { addrs: string[]; ssl?: Yaml }, shared: ProxyDraft | undefined, paths: PathBase, set: (d: Directive, v: Verdict) => void): Yaml {
  const y: Yaml = { ...draft.yaml };
  if (shared) {
    for (const k of DEFAULT_KEYS) {
      if (k === 'timeout' && y.timeout && shared.yaml.timeout) {
        const own = Object.fromEntries(Object.entries(y.timeout as Yaml).filter(([t, v]) => !isDeepStrictEqual(v, (shared.yaml.timeout as Yaml)[t])));
        if (Object.keys(own).length) y.timeout = own;
        else delete y.timeout;
      } else if (isDeepStrictEqual(y[k], shared.yaml[k])) delete y[k];
    }
  }
  const acl = draft.acls.toYaml();
  if (acl) y.acl = acl;
  if (draft.kind !== 'backend') {
    y.bind = binds.addrs.length === 1 ? binds.addrs[0] : binds.addrs;
    if (binds.ssl) y.ssl = binds.ssl;
    if (binds.addrs.length === 0) y.bind = [];
    Object.assign(y, draft.rules);
  } else {
    // a backend's own rules (those that could not move to the one frontend reaching it)
    y['http-request'] = draft.rules['http-request'];
    y['http-response'] = draft.rules['http-response'];
  }
  if (draft.kind !== 'frontend') {
    y.servers = draft.servers.map(({ s }) => s.yaml);
    serverTls(draft, y, paths, set);
    cookieValues(draft, set);
    if (y.check && Object.keys(y.check as Yaml).length === 0) delete y.check;
  }
  return y;
}

/** lbagent's TLS to servers is per backend: the first TLS server's settings, the servers that differ listed. */
function serverTls(draft: ProxyDraft, y: Yaml, paths: PathBase, set: (d: Directive, v: Verdict) => void): void {
  const first = draft.servers.find(({ s }) => s.ssl)?.s.ssl;
  if (!first) return;
  const ssl: Yaml = { verify: first.verify ?? 'required', ...first };
  const ca = ssl.ca_file as string | undefined;
  if (ca !== undefined) {
    const path = isAbsolute(ca) ? ca : join(paths.caBase ?? paths.dir, ca);
    if (existsSync(path)) ssl.ca_file = path;
    else {
      delete ssl.ca_file;
      for (const { d, s } of draft.servers) if (s.ssl) set(d, left(`ca-file '${path}' not found: servers are verified against the system's CAs`));
    }
  }
  y.server_ssl = ssl;
  for (const { d, s } of draft.servers) {
    const mine = s.ssl ? { verify: s.ssl.verify ?? 'required', ...s.ssl, ...(ssl.ca_file !== s.ssl.ca_file && first.ca_file === s.ssl.ca_file ? { ca_file: ssl.ca_file } : {}) } : undefined;
    if (mine && ssl.ca_file === undefined) delete mine.ca_file;
    if (!isDeepStrictEqual(mine, ssl)) set(d, left(`lbagent's TLS to servers is set per backend (${JSON.stringify(ssl)}); this server's ${mine ? 'differs' : 'is plain TCP'}`));
  }
}

function cookieValues(draft: ProxyDraft, set: (d: Directive, v: Verdict) => void): void {
  if (!draft.yaml.cookie) return;
  for (const { d, s } of draft.servers) {
    if (s.cookie !== undefined && s.cookie !== s.yaml.name) set(d, noted(`lbagent's cookie value is the server's name ('${String(s.yaml.name)}'), not '${s.cookie}': clients holding an old cookie are balanced once`));
  }
}

