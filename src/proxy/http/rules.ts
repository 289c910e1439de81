// Compiled HTTP rules of one frontend: conditions become predicates once (at config load), so a request pays
// only for the tests its rules actually make.
import { BlockList, isIPv6 } from 'node:net';
import { RuleError } from '../../errors/index.js';
import { headerAction } from './header-actions.js';
import type { Header } from './head.js';
import { toRegExp, type AclConfig, type ConditionConfig, type HttpRulesConfig } from './rules-config.js';

/** What conditions and variables look at. */
export interface RuleInput {
  method: string;
  /** the request target as received (origin form: path?query) */
  uri: string;
  headers: Header[];
  /** client address */
  src: string;
  /** the frontend's local port */
  dstPort: number;
  /** https on a TLS bind */
  scheme: 'http' | 'https';
}

type Predicate = (r: RuleInput) => boolean;

export function pathOf(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}

function header(headers: Header[], name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === n) return v;
  return undefined;
}

/** Host without port, lower case. */
export function hostOf(r: RuleInput): string {
  const h = (header(r.headers, 'host') ?? '').toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

function compileAcl(acl: AclConfig): Predicate {
  if ('host' in acl) {
    const set = new Set(acl.host.map((h) => h.toLowerCase()));
    return (r) => set.has(hostOf(r));
  }
  if ('hdr_dom' in acl) {
    // HAProxy's _dom: the pattern matches whole dot-separated labels of the host.
    const doms = acl.hdr_dom.map((d) => d.toLowerCase().replace(/^\.+/, ''));
    return (r) => {
      const h = hostOf(r);
      return doms.some((d) => h === d || h.endsWith(`.${d}`) || h.startsWith(`${d}.`) || h.includes(`.${d}.`));
    };
  }
  if ('path_beg' in acl) return (r) => acl.path_beg.some((p) => pathOf(r.uri).startsWith(p));
  if ('path_end' in acl) return (r) => acl.path_end.some((p) => pathOf(r.uri).endsWith(p));
  if ('path' in acl) return (r) => acl.path.includes(pathOf(r.uri));
  if ('path_reg' in acl) {
    const re = toRegExp(acl.path_reg);
    return (r) => re.test(pathOf(r.uri));
  }
  if ('method' in acl) return (r) => acl.method.includes(r.method);
  if ('src' in acl) {
    const bl = new BlockList();
    for (const c of acl.src) {
      const [addr, bits] = c.split('/') as [string, string | undefined];
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) bl.addAddress(addr, type);
      else bl.addSubnet(addr, Number(bits), type);
    }
    return (r) => bl.check(r.src, isIPv6(r.src) ? 'ipv6' : 'ipv4');
  }
  if ('hdr' in acl) {
    const { name, value } = acl.hdr;
    return value ? (r) => { const v = header(r.headers, name); return v !== undefined && value.includes(v); } : (r) => header(r.headers, name) !== undefined;
  }
  const re = toRegExp(acl.hdr_reg.regex);
  return (r) => {
    const v = header(r.headers, acl.hdr_reg.name);
    return v !== undefined && re.test(v);
  };
}

function compileCondition(cond: ConditionConfig, acls: Map<string, Predicate>): Predicate {
  if (typeof cond !== 'string') return compileAcl(cond);
  // OR of ANDs, as HAProxy reads "a !b || c".
  const alternatives = cond.split(/\s+(?:\|\||or)\s+/).map((alt) =>
    alt.trim().split(/\s+/).map((term) => {
      const negate = term.startsWith('!');
      const name = negate ? term.slice(1) : term;
      const p = acls.get(name);
      if (!p) throw new RuleError(`unknown ACL '${name}'`);
      return negate ? (r: RuleInput) => !p(r) : p;
    }),
  );
  if (alternatives.length === 1 && alternatives[0]!.length === 1) return alternatives[0]![0]!;
  return (r) => alternatives.some((terms) => terms.every((t) => t(r)));
}

function guard(rule: { if?: ConditionConfig; unless?: ConditionConfig }, acls: Map<string, Predicate>): Predicate | undefined {
  if (rule.if !== undefined) return compileCondition(rule.if, acls);
  if (rule.unless !== undefined) {
    const p = compileCondition(rule.unless, acls);
    return (r) => !p(r);
  }
  return undefined;
}

/** `%[src]`, `%[dst_port]`, `%[req.hdr(NAME)]`, `%[path]`, `%[method]`: HAProxy's sample fetches we support. */
export function compileValue(text: string): (r: RuleInput) => string {
  if (!text.includes('%[')) return () => text;
  const parts: ((r: RuleInput) => string)[] = [];
  const re = /%\[([^\]]+)\]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lit = text.slice(last, m.index);
    if (lit) parts.push(() => lit);
    parts.push(sampleFetch(m[1]!.trim()));
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  if (tail) parts.push(() => tail);
  return (r) => parts.map((p) => p(r)).join('');
}

function sampleFetch(expr: string): (r: RuleInput) => string {
  if (expr === 'src') return (r) => r.src;
  if (expr === 'dst_port') return (r) => String(r.dstPort);
  if (expr === 'path') return (r) => pathOf(r.uri);
  if (expr === 'method') return (r) => r.method;
  if (expr === 'scheme') return (r) => r.scheme;
  const hdr = /^req\.hdr\(([^)]+)\)$/.exec(expr);
  if (hdr) return (r) => header(r.headers, hdr[1]!.trim()) ?? '';
  throw new RuleError(`unsupported sample fetch %[${expr}] (supported: src, dst_port, path, method, scheme, req.hdr(NAME))`);
}

export type RequestVerdict = { kind: 'continue' } | { kind: 'deny'; status: number } | { kind: 'redirect'; code: number; location: string };

export interface CompiledRules {
  /** Run http-request rules in order; header actions edit `r.headers` in place. */
  request(r: RuleInput): RequestVerdict;
  /** The backend of the first use_backend rule that matches, or undefined (default_backend). */
  backend(r: RuleInput): string | undefined;
  /** Run http-response rules on the response headers (conditions see the request). */
  response(headers: Header[], r: RuleInput): void;
  readonly empty: boolean;
}

export function compileRules(cfg: HttpRulesConfig): CompiledRules {
  const acls = new Map<string, Predicate>();
  for (const [name, acl] of Object.entries(cfg.acl ?? {})) acls.set(name, compileAcl(acl));

  const useBackend = (cfg.use_backend ?? []).map((u) => ({ backend: u.backend, when: guard(u, acls) }));
  const requestRules = (cfg['http-request'] ?? []).map((rule) => {
    const when = guard(rule, acls);
    if ('deny' in rule) {
      const status = rule.deny.status;
      return { when, run: (): RequestVerdict => ({ kind: 'deny', status }) };
    }
    if ('redirect' in rule) {
      const { location, prefix, scheme, code } = rule.redirect;
      const loc = location !== undefined ? compileValue(location) : undefined;
      return {
        when,
        run: (r: RuleInput): RequestVerdict => {
          if (loc) return { kind: 'redirect', code, location: loc(r) };
          if (prefix !== undefined) return { kind: 'redirect', code, location: prefix.replace(/\/$/, '') + r.uri };
          const host = header(r.headers, 'host') ?? '';
          return { kind: 'redirect', code, location: `${scheme}://${host}${r.uri}` };
        },
      };
    }
    const act = headerAction(rule, compileValue);
    return { when, run: (r: RuleInput): RequestVerdict => (act(r.headers, r), { kind: 'continue' }) };
  });
  const responseRules = (cfg['http-response'] ?? []).map((rule) => ({ when: guard(rule, acls), act: headerAction(rule, compileValue) }));

  return {
    empty: useBackend.length === 0 && requestRules.length === 0 && responseRules.length === 0,
    request(r) {
      for (const rule of requestRules) {
        if (rule.when && !rule.when(r)) continue;
        const v = rule.run(r);
        if (v.kind !== 'continue') return v;
      }
      return { kind: 'continue' };
    },
    backend(r) {
      for (const u of useBackend) if (!u.when || u.when(r)) return u.backend;
      return undefined;
    },
    response(headers, r) {
      for (const rule of responseRules) if (!rule.when || rule.when(r)) rule.act(headers, r);
    },
  };
}
