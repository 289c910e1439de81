// One `defaults`, `frontend`, `backend` or `listen` section → a draft of its lbagent entry, with a verdict for each
// directive. A proxy starts from a copy of the defaults it inherits (HAProxy copies them the same way), then its
// own lines apply in order.
import { parseBalance } from '../proxy/model/index.js';
import { AclTable, splitGuard, type AclContext } from './acl.js';
import { translateBind, type BindDraft, type PathBase, type SslDefaults } from './bind.js';
import { OTHER_CHECKS, translateHttpCheck, translateHttpchk, translateTcpCheck } from './check.js';
import { translateHttpRequest, translateHttpResponse, translateLegacy, translateRedirect, translateUseBackend, type RuleLists } from './rules.js';
import type { Section } from './sections.js';
import { translateServer, type ServerDraft } from './server.js';
import { carried, left, noted, type Directive, type Verdict, type Yaml } from './types.js';
import { durationText } from './units.js';
import { captureDirective, logFormatDirective, logOption, proxyLog } from './log.js';

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface ProxyDraft {
  kind: ProxyKind;
  name: string;
  /** lbagent keys of either side: mode, maxconn, timeout, forwardfor, default_backend, balance, retries, redispatch, check, cookie */
  yaml: Yaml;
  acls: AclTable;
  rules: RuleLists;
  servers: { d: Directive; s: ServerDraft }[];
  serverDefaults: string[];
  binds: { d: Directive; b: BindDraft }[];
  /** `stats uri|auth|refresh|realm|enable`: a stats page, decided on by the assembler */
  stats: { d: Directive; words: string[] }[];
  /** rules that belong to a frontend, written in a backend (moved by the assembler when it can) */
  backendRules: Directive[];
  verdicts: Map<Directive, Verdict>;
}

export interface ProxyContext extends AclContext {
  paths: PathBase;
  sslDefaults: SslDefaults;
}

const TIMEOUTS = new Set(['connect', 'client', 'server', 'http-request', 'http-keep-alive', 'queue', 'check', 'tunnel']);
const LEGACY_TIMEOUTS: Record<string, string> = { contimeout: 'connect', clitimeout: 'client', srvtimeout: 'server' };
const LEGACY_HEADER = /^(req|rsp)i?(add|del|rep|deny|allow|pass|tarpit|setbe)$/;
/** HAProxy's connection modes: one of them holds at a time, the last line wins (as `option` in HAProxy 2.x). */
const CONNECTION_MODES = ['httpclose', 'http-server-close'] as const;

export function emptyDraft(kind: ProxyKind, name: string, ctx: AclContext, from?: ProxyDraft): ProxyDraft {
  return {
    kind,
    name,
    yaml: from ? structuredClone(from.yaml) : {},
    acls: new AclTable(ctx),
    rules: { use_backend: [], 'http-request': [], 'http-response': [] },
    servers: [],
    serverDefaults: from ? [...from.serverDefaults] : [],
    binds: [],
    stats: [],
    backendRules: [],
    verdicts: new Map(),
  };
}

/** `bind` lines of a section (and a 1.x address on the section line), read before anything else: they decide TLS. */
export function sectionBinds(section: Section, ctx: Omit<ProxyContext, 'ssl'>): { d: Directive; b: BindDraft }[] {
  const out: { d: Directive; b: BindDraft }[] = [];
  // `listen NAME ADDR:PORT` (1.x); `frontend NAME from DEFAULTS` names its defaults instead
  const [, , addr] = section.header.words;
  if (addr !== undefined && addr !== 'from') out.push({ d: section.header, b: translateBind([addr], ctx.paths, ctx.sslDefaults) });
  for (const d of section.directives) if (d.words[0] === 'bind') out.push({ d, b: translateBind(d.words.slice(1), ctx.paths, ctx.sslDefaults) });
  return out;
}

export function translateProxy(section: Section, kind: ProxyKind, ctx: ProxyContext, from?: ProxyDraft): ProxyDraft {
  const p = emptyDraft(kind, section.name, ctx, from);
  for (const d of section.directives) p.verdicts.set(d, translateDirective(p, d));
  return p;
}

function onlyIn(p: ProxyDraft, kinds: ProxyKind[], what: string): Verdict | undefined {
  return kinds.includes(p.kind) ? undefined : left(`'${what}' is not for a ${p.kind} section (HAProxy ignores it there too)`);
}

/** `undefined` when the proxy is in HTTP mode, else why `kw` cannot be carried over. */
function httpOnly(p: ProxyDraft, kw: string): Verdict | undefined {
  return (p.yaml.mode ?? 'tcp') === 'http' ? undefined : left(`'${kw}' needs mode http (this proxy is in TCP mode)`);
}

type DirectiveHandler = (p: ProxyDraft, d: Directive, args: string[], kw: string) => Verdict;

const ERROR_PAGES = 'lbagent serves its own error pages (HAProxy\'s wording); custom error files are not supported';

/** What a rule directive does depends on the section it is in; the one handler of `redirect`, `http-*`, `block`. */
const rule: DirectiveHandler = (p, d, args, kw) => {
  if (p.kind === 'defaults') return left(`'${kw}' rules in a defaults section have no lbagent equivalent`);
  if (p.kind === 'backend') return p.backendRules.push(d), carried; // decided by the assembler
  return httpOnly(p, kw) ?? frontendRule(p, kw, args);
};

const legacyTimeout: DirectiveHandler = (p, _d, args, kw) => timeout(p, LEGACY_TIMEOUTS[kw]!, args[0]);

/** One handler per directive of a proxy section; a directive not named here is left over (or a legacy header rule). */
const DIRECTIVES = new Map<string, DirectiveHandler>([
  ['bind', (p, _d, _args, kw) => onlyIn(p, ['frontend', 'listen'], kw) ?? carried], // the assembler decides per bind
  ['mode', (p, _d, args) => {
    if (args[0] === 'http' || args[0] === 'tcp') return (p.yaml.mode = args[0]), carried;
    return left(`mode '${args[0] ?? ''}' has no lbagent equivalent (http and tcp do)`);
  }],
  ['balance', (p, _d, args) => {
    const text = args.join(' ');
    const parsed = parseBalance(text);
    if ('error' in parsed) return left(`balance '${text}': lbagent lacks it (${parsed.expected}); roundrobin is used`);
    p.yaml.balance = text;
    return carried;
  }],
  ['maxconn', (p, _d, args) => {
    const n = Number(args[0]);
    if (!(Number.isInteger(n) && n >= 1)) return left(`maxconn '${args[0] ?? ''}'`);
    if (p.kind === 'backend') return left('maxconn in a backend is not used by HAProxy either (fullconn is)');
    p.yaml.maxconn = n;
    return carried;
  }],
  ['retries', (p, _d, args) => {
    const n = Number(args[0]);
    if (!(Number.isInteger(n) && n >= 0 && n <= 100)) return left(`retries '${args[0] ?? ''}'`);
    return (p.yaml.retries = n), carried;
  }],
  ['timeout', (p, _d, args) => timeout(p, args[0] ?? '', args[1])],
  ['contimeout', legacyTimeout],
  ['clitimeout', legacyTimeout],
  ['srvtimeout', legacyTimeout],
  ['option', (p, d, args) => {
    if (p.kind === 'backend' && args[0] === 'forwardfor') return p.backendRules.push(d), carried; // a frontend key in lbagent
    return option(p, args, true);
  }],
  ['no', (p, _d, args) => {
    if (args[0] === 'log' && p.kind !== 'backend') return (p.yaml.log = false), carried;
    return args[0] === 'option' ? option(p, args.slice(1), false) : left(`'no ${args[0] ?? ''}' has no lbagent equivalent`);
  }],
  ['default_backend', (p, _d, args, kw) => {
    if (!args[0]) return left('default_backend without a name');
    return onlyIn(p, ['frontend', 'listen', 'defaults'], kw) ?? ((p.yaml.default_backend = args[0]), carried);
  }],
  ['use_backend', (p, _d, args, kw) => onlyIn(p, ['frontend', 'listen'], kw) ?? httpOnly(p, kw) ?? translateUseBackend(p.rules, args, p.acls)],
  ['acl', (p, d, args) => {
    if (p.kind === 'defaults') return left('an ACL in a defaults section has no lbagent equivalent');
    if (p.kind === 'backend') return p.backendRules.push(d), carried; // goes where the backend's rules go
    return aclVerdict(p.acls.define(args[0] ?? '', args.slice(1)));
  }],
  ['redirect', rule],
  ['http-request', rule],
  ['http-response', rule],
  ['block', rule],
  ['server', (p, d, args) => {
    if (p.kind === 'frontend' || p.kind === 'defaults') return left(`a server in a ${p.kind} section is ignored by HAProxy`);
    return server(p, d, args);
  }],
  ['default-server', (p, _d, args) => {
    if (p.kind === 'frontend') return left('default-server in a frontend is ignored by HAProxy');
    p.serverDefaults.push(...args);
    return carried; // problems show on each server line that uses them
  }],
  ['cookie', (p, _d, args, kw) => httpOnly(p, kw) ?? cookie(p, args)],
  ['http-check', (p, _d, args) => translateHttpCheck(checkOf(p), args)],
  ['tcp-check', (p, _d, args) => translateTcpCheck(checkOf(p), args)],
  ['stats', (p, d, args) => stats(p, d, args)],
  ['log', (p, _d, args) => (p.kind === 'backend' ? noted('log in a backend: the frontend\'s log applies') : proxyLog(p.yaml, args))],
  ['log-format', (p, _d, args) => logFormatDirective(p.yaml, 'log-format', args, p.kind === 'backend')],
  ['unique-id-format', (p, _d, args) => logFormatDirective(p.yaml, 'unique-id-format', args, p.kind === 'backend')],
  ['unique-id-header', (p, _d, args) => {
    if (!args[0]) return left('unique-id-header without a name');
    return p.kind === 'backend' ? noted('unique-id-header in a backend: HAProxy ignores it there too') : ((p.yaml.unique_id_header = args[0]), carried);
  }],
  ['capture', (p, _d, args) => captureDirective(p.yaml, args, p.kind === 'frontend' || p.kind === 'listen')],
  ['server-template', () => left('lbagent takes servers from gossip roles (roles.yml) instead of DNS templates')],
  ...['errorfile', 'errorloc', 'errorloc302', 'errorloc303', 'errorfiles'].map((kw): [string, DirectiveHandler] => [kw, () => left(ERROR_PAGES)]),
]);

function translateDirective(p: ProxyDraft, d: Directive): Verdict {
  const [kw, ...args] = d.words as [string, ...string[]];
  const handler = DIRECTIVES.get(kw);
  if (handler) return handler(p, d, args, kw);
  if (!LEGACY_HEADER.test(kw)) return left(`'${kw}' has no lbagent equivalent`);
  if (p.kind === 'backend') return p.backendRules.push(d), carried;
  return httpOnly(p, kw) ?? frontendRule(p, kw, args);
}

function aclVerdict(problem: string | undefined): Verdict {
  return problem === undefined ? carried : left(`${problem} (rules that use it are left over too)`);
}

/** A rule of a frontend or listen (also a backend's, once the assembler moved it). */
export function frontendRule(p: ProxyDraft, kw: string, args: string[]): Verdict {
  const forwarded = forwardedHeader(p, kw, args);
  if (forwarded) return forwarded;
  if (kw === 'acl') return aclVerdict(p.acls.define(args[0] ?? '', args.slice(1)));
  if (kw === 'redirect') return translateRedirect(p.rules, args, p.acls);
  if (kw === 'http-request') return translateHttpRequest(p.rules, args, p.acls);
  if (kw === 'http-response') return translateHttpResponse(p.rules, args, p.acls);
  if (kw === 'block') return translateHttpRequest(p.rules, ['deny', ...args], p.acls);
  if (kw === 'option' && args[0] === 'forwardfor') return forwardfor(p, args.slice(1));
  return translateLegacy(p.rules, kw, args, p.acls);
}

/**
 * lbagent writes X-Forwarded-Proto itself on TLS binds, and X-Forwarded-Proto/-Host/-Port with forwardfor, after
 * the rules: a config that added `X-Forwarded-Proto: http` by hand would send it twice. A rule adding the value
 * lbagent writes anyway is dropped (with a note); one that wants another value cannot be kept.
 */
function forwardedHeader(p: ProxyDraft, kw: string, args: string[]): Verdict | undefined {
  const ssl = p.acls.ctx.ssl;
  const written = p.yaml.forwardfor ? ['proto', 'host', 'port'] : ssl ? ['proto'] : [];
  let name: string | undefined;
  let value: string | undefined;
  if (kw === 'http-request' && (args[0] === 'add-header' || args[0] === 'set-header')) [name, value] = [args[1], args[2]];
  else if (kw === 'reqadd' && args[0]) [name, value] = [args[0].slice(0, args[0].indexOf(':')), args[0].slice(args[0].indexOf(':') + 1).trim()];
  const which = /^x-forwarded-(proto|host|port)$/i.exec(name ?? '')?.[1]?.toLowerCase();
  if (!which || !written.includes(which)) return undefined;
  const g = splitGuard(args, p.acls);
  if ('never' in g || 'left' in g) return undefined; // dropped or listed by the rule's own translation
  const always = Object.keys(g.guard).length === 0;
  if (which === 'proto' && always && value === (ssl ? 'https' : 'http')) return noted(`lbagent adds ${name}: ${value} itself`);
  return left(`lbagent writes X-Forwarded-${which[0]!.toUpperCase()}${which.slice(1)} itself${ssl && which === 'proto' ? ' on a TLS bind' : ' with forwardfor'}; a rule cannot set another value`);
}

function timeout(p: ProxyDraft, which: string, value: string | undefined): Verdict {
  if (!TIMEOUTS.has(which)) return left(`timeout ${which} has no lbagent equivalent`);
  const v = value === undefined ? undefined : durationText(value);
  if (v === undefined) return left(`timeout ${which} '${value ?? ''}' is not a duration`);
  (p.yaml.timeout ??= {}) as Yaml;
  (p.yaml.timeout as Yaml)[which] = v;
  return carried;
}

function checkOf(p: ProxyDraft): Yaml {
  return (p.yaml.check ??= {}) as Yaml;
}

const NO_EQUIVALENT_OPTION = 'has no lbagent equivalent';

function option(p: ProxyDraft, args: string[], on: boolean): Verdict {
  const [name, ...rest] = args;
  const logging = logOption(p.yaml, name, rest, on, p.kind === 'backend');
  if (logging) return logging;
  if (!on) {
    if (name === 'redispatch') return (p.yaml.redispatch = false), carried;
    if (name === 'forwardfor') return (p.yaml.forwardfor = false), carried;
    if (name === 'httpclose' || name === 'http-server-close' || name === 'forceclose') {
      const key = name === 'forceclose' ? 'httpclose' : name;
      if (p.yaml[key] !== undefined) p.yaml[key] = false; // only an inherited option needs turning off
      return carried;
    }
    return left(`no option ${name ?? ''} ${NO_EQUIVALENT_OPTION}`);
  }
  switch (name) {
    case 'http-keep-alive':
      return connectionMode(p, undefined);
    case 'httpclose':
    case 'http-server-close':
      return connectionMode(p, name);
    case 'forceclose':
      return connectionMode(p, 'httpclose'), noted('forceclose (HAProxy 1.x) is httpclose in HAProxy 2.x and lbagent: both sides close after each response');
    case 'redispatch':
      return (p.yaml.redispatch = true), carried;
    case 'forwardfor':
      return forwardfor(p, rest);
    case 'httpchk':
      return translateHttpchk(checkOf(p), rest);
    case 'tcp-check': {
      // the last check option wins, as in HAProxy: nothing of an earlier HTTP check stays
      const check = checkOf(p);
      for (const k of ['method', 'path', 'host', 'status', 'body']) delete check[k];
      check.type = 'tcp';
      return carried;
    }
    default:
      if (name && OTHER_CHECKS.has(name)) return left(`option ${name}: lbagent checks these servers with a TCP connect instead`);
      return left(`option ${name ?? ''} ${NO_EQUIVALENT_OPTION}`);
  }
}

/**
 * `option httpclose|http-server-close|http-keep-alive`: that mode, replacing the other. lbagent resolves a
 * proxy's own http-server-close over an inherited httpclose itself; keep-alive turns inherited options off.
 */
function connectionMode(p: ProxyDraft, mode: (typeof CONNECTION_MODES)[number] | undefined): Verdict {
  for (const k of CONNECTION_MODES) {
    if (k === mode || p.yaml[k] === undefined) continue;
    if (mode) delete p.yaml[k];
    else p.yaml[k] = false;
  }
  if (mode) p.yaml[mode] = true;
  return carried;
}

function forwardfor(p: ProxyDraft, args: string[]): Verdict {
  let except: string | undefined;
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'except') except = args[++i];
    else if (args[i] === 'header') problems.push(`header ${args[++i] ?? ''}`);
    else problems.push(args[i]!);
  }
  p.yaml.forwardfor = except ? { except } : true;
  return problems.length ? left(`forwardfor ${problems.join(' ')}: lbagent always writes X-Forwarded-For`) : carried;
}

function server(p: ProxyDraft, d: Directive, args: string[]): Verdict {
  const s = translateServer(args, p.serverDefaults);
  if ('left' in s) return left(s.left);
  p.servers.push({ d, s });
  return s.unsupported.length ? left(`server options without lbagent equivalent: ${s.unsupported.join(', ')} (the rest is carried over)`) : carried;
}

function cookie(p: ProxyDraft, args: string[]): Verdict {
  const [name, ...opts] = args;
  if (!name) return left('cookie without a name');
  const c: Yaml = { name, mode: undefined, indirect: false, nocache: false };
  const attributes: string[] = [];
  const problems: string[] = [];
  let mode: string | undefined;
  for (let i = 0; i < opts.length; i++) {
    const w = opts[i]!;
    if (w === 'insert' || w === 'rewrite' || w === 'prefix') mode = w;
    else if (w === 'indirect' || w === 'nocache') c[w] = true;
    else if (w === 'httponly') attributes.push('HttpOnly');
    else if (w === 'secure') attributes.push('Secure');
    else if (w === 'domain' && opts[i + 1]) attributes.push(`Domain=${opts[++i]}`);
    else if (w === 'attr' && opts[i + 1]) attributes.push(opts[++i]!);
    else if (w === 'maxidle' || w === 'maxlife') problems.push(`${w} ${opts[++i] ?? ''}`);
    else problems.push(w);
  }
  if (!mode) return left('a passive cookie (the server sets it, HAProxy only reads it) has no lbagent equivalent: insert, rewrite and prefix do');
  Object.assign(c, { name, mode, indirect: c.indirect, nocache: c.nocache });
  if (attributes.length) c.attributes = attributes;
  p.yaml.cookie = c;
  return problems.length ? left(`cookie options without lbagent equivalent: ${problems.join(', ')}`) : carried;
}

const STATS_KEPT = new Set(['enable', 'uri', 'auth', 'refresh', 'realm']);

function stats(p: ProxyDraft, d: Directive, args: string[]): Verdict {
  const [what] = args;
  if (p.kind === 'defaults') return left("stats in defaults turns a page on in every proxy; lbagent's stats page stands alone (stats.bind)");
  if (what && STATS_KEPT.has(what)) {
    p.stats.push({ d, words: args });
    return carried; // the assembler may still leave it over (stats inside a proxy that carries traffic)
  }
  if (what === 'admin') return left("lbagent's stats page is read-only; change servers through the admin API (admin.bind)");
  if (what === 'socket') return left("lbagent's admin API (admin.bind) replaces HAProxy's runtime socket");
  return left(`stats ${what ?? ''} has no lbagent equivalent`);
}
