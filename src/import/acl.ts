// `acl NAME FETCH [-i] [-m METHOD] PATTERN…` and `if`/`unless` conditions → lbagent's acl entries (one fetch each,
// see src/proxy/http/rules-config.ts) and condition strings. Fetches lbagent lacks make the ACL, and every rule
// whose condition needs it, a leftover. `ssl_fc` is known per lbagent frontend (all its binds are TLS or none),
// so it folds to a constant, as do HAProxy's predefined TRUE/FALSE.
import type { Yaml } from './types.js';
import { RE2JS } from 're2js';

export type AclValue = { acl: Yaml } | { constant: boolean } | { left: string };

export interface AclContext {
  /** the lbagent frontend these rules land in terminates TLS; undefined in a backend (any frontend may reach it) */
  ssl: boolean | undefined;
}

const PREDEFINED: Record<string, AclValue> = {
  TRUE: { constant: true },
  FALSE: { constant: false },
  LOCALHOST: { acl: { src: ['127.0.0.1/8'] } },
  METH_GET: { acl: { method: ['GET', 'HEAD'] } },
  METH_POST: { acl: { method: ['POST'] } },
  METH_PUT: { acl: { method: ['PUT'] } },
  METH_DELETE: { acl: { method: ['DELETE'] } },
  METH_HEAD: { acl: { method: ['HEAD'] } },
  METH_OPTIONS: { acl: { method: ['OPTIONS'] } },
  METH_CONNECT: { acl: { method: ['CONNECT'] } },
  METH_TRACE: { acl: { method: ['TRACE'] } },
  HTTP_URL_SLASH: { acl: { path_beg: ['/'] } },
};

/** A literal as a regex (HAProxy's -m str/beg/end/sub written as lbagent regexes). */
export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A regex lbagent's ACLs refuse (RE2 has no look-around or back-references): why, else undefined. */
function re2Refusal(re: string): string | undefined {
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (err) {
    return `the regex does not compile in RE2, which lbagent's ACLs use (${(err as Error).message})`;
  }
}

/** Several patterns as one RE2 regex (lbagent's regex ACLs take one), `(?i)` for HAProxy's -i. */
function regexOf(alternatives: string[], ci: boolean): string {
  const body = alternatives.length === 1 ? alternatives[0]! : alternatives.map((a) => `(?:${a})`).join('|');
  return (ci ? '(?i)' : '') + body;
}

type Match = 'str' | 'beg' | 'end' | 'sub' | 'reg' | 'dom' | 'dir' | 'found' | 'ip' | string;

/** Literal patterns with a match method → regex alternatives. */
function literalRegex(match: Match, patterns: string[]): string[] | undefined {
  switch (match) {
    case 'str': return patterns.map((p) => `^${escapeRe(p)}$`);
    case 'beg': return patterns.map((p) => `^${escapeRe(p)}`);
    case 'end': return patterns.map((p) => `${escapeRe(p)}$`);
    case 'sub': return patterns.map(escapeRe);
    case 'reg': return patterns;
    case 'dir': return patterns.map((p) => `(?:^|/)${escapeRe(p)}(?:/|$)`);
    case 'dom': return patterns.map((p) => `(?:^|[./])${escapeRe(p)}(?:[./:]|$)`);
    default: return undefined;
  }
}

function pathAcl(match: Match, ci: boolean, patterns: string[]): AclValue {
  if (!ci && match === 'str') return { acl: { path: patterns } };
  if (!ci && match === 'beg') return { acl: { path_beg: patterns } };
  if (!ci && match === 'end') return { acl: { path_end: patterns } };
  const re = literalRegex(match, patterns);
  if (!re) return { left: `path match '-m ${match}' has no lbagent equivalent` };
  const path_reg = regexOf(re, ci);
  const refused = re2Refusal(path_reg);
  return refused ? { left: refused } : { acl: { path_reg } };
}

function headerAcl(name: string, match: Match, ci: boolean, patterns: string[]): AclValue {
  const host = name.toLowerCase() === 'host';
  if (match === 'found') return { acl: { hdr: { name } } };
  if (host && match === 'str') return { acl: { host: patterns } }; // lbagent compares the host case-insensitively, without port
  if (host && match === 'dom') return { acl: { hdr_dom: patterns } };
  if (match === 'str' && !ci) return { acl: { hdr: { name, value: patterns } } };
  const re = literalRegex(match, patterns);
  if (!re) return { left: `header match '-m ${match}' has no lbagent equivalent` };
  const regex = regexOf(re, ci || host);
  const refused = re2Refusal(regex);
  return refused ? { left: refused } : { acl: { hdr_reg: { name, regex } } };
}

const SUFFIX = /^(.*?)_(beg|end|sub|reg|dom|dir|len|cnt|val|ip|found)$/;

/** An ACL's words, read: the fetch as written, its first argument, the flags and the patterns. */
interface AclExpr {
  fetch: string;
  arg: string | undefined;
  match: Match | undefined;
  ci: boolean;
  patterns: string[];
}

/** The words after `acl NAME` (or inside `{ … }`): fetch, flags, patterns. */
export function translateAclExpr(words: string[], ctx: AclContext): AclValue {
  const [fetch, ...rest] = words;
  if (!fetch) return { left: 'an ACL without a fetch' };
  const flags = readAclFlags(rest);
  if ('left' in flags) return flags;
  const m = /^([A-Za-z0-9_.]+)(?:\((.*)\))?$/.exec(fetch);
  if (!m) return { left: `cannot read the fetch '${fetch}'` };
  let base = m[1]!.replace(/^req\./, '');
  if (base === 'ssl_fc') return ctx.ssl === undefined ? { left: "ssl_fc in a backend: lbagent knows TLS per frontend, and several may reach this backend" } : { constant: ctx.ssl };
  if (base === 'always_true') return { constant: true };
  if (base === 'always_false') return { constant: false };
  const e: AclExpr = { fetch, arg: m[2]?.split(',')[0]?.trim(), ...flags };
  // path_beg, hdr_sub(host) …: a fetch with its match method in its name
  const suffix = SUFFIX.exec(base);
  if (suffix && ['hdr', 'path', 'url', 'fhdr'].includes(suffix[1]!)) {
    if (['len', 'cnt', 'val', 'ip'].includes(suffix[2]!)) return { left: `fetch '${fetch}' has no lbagent equivalent` };
    base = suffix[1]!;
    e.match ??= suffix[2]!;
  }
  if (base === 'fhdr') base = 'hdr';
  if (e.match !== 'found' && e.patterns.length === 0) return { left: `ACL '${fetch}' has no pattern` };
  const translate = FETCHES.get(base);
  return translate ? translate(e) : { left: `fetch '${fetch}' has no lbagent equivalent` };
}

/** The flags before the patterns (`-i`, `-m beg`, `--` …); the first word that is not a flag starts the patterns. */
function readAclFlags(rest: string[]): Pick<AclExpr, 'ci' | 'match' | 'patterns'> | { left: string } {
  let ci = false;
  let match: Match | undefined;
  const patterns: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (patterns.length > 0 || !w.startsWith('-') || w === '-') {
      patterns.push(w);
      continue;
    }
    if (w === '--') {
      patterns.push(...rest.slice(i + 1));
      break;
    }
    if (w === '-i') ci = true;
    else if (w === '-m') match = rest[++i];
    else if (w === '-f') return { left: `patterns read from a file ('-f ${rest[i + 1] ?? ''}') are not supported; list them in the ACL` };
    else if (w === '-u') i++;
    else if (w !== '-n' && w !== '-M') return { left: `ACL flag '${w}' has no lbagent equivalent` };
  }
  return { ci, match, patterns };
}

/** The fetches lbagent has an ACL for, by their base name (suffix taken off, `req.` and `fhdr` folded). */
const FETCHES = new Map<string, (e: AclExpr) => AclValue>([
  ['path', (e) => pathAcl(e.match ?? 'str', e.ci, e.patterns)],
  ['url', (e) => {
    // the path is the URL up to '?': url_beg without a '?' in its patterns is path_beg
    if ((e.match ?? 'str') === 'beg' && !e.patterns.some((p) => p.includes('?'))) return pathAcl('beg', e.ci, e.patterns);
    return { left: `'${e.fetch}' looks at the query string too; lbagent's path ACLs see the path only` };
  }],
  ['hdr', (e) => {
    if (!e.arg) return { left: `'${e.fetch}' without a header name has no lbagent equivalent` };
    if (['len', 'cnt', 'val', 'ip'].includes(e.match ?? '')) return { left: `header match '${e.match}' has no lbagent equivalent` };
    return headerAcl(e.arg, e.match ?? 'str', e.ci, e.patterns);
  }],
  ['method', (e) => ({ acl: { method: e.patterns.map((p) => p.toUpperCase()) } })],
  ['src', (e) => ({ acl: { src: e.patterns } })],
]);

/** The ACLs of one lbagent frontend, with HAProxy's rule that several `acl` lines of one name are ORed. */
export class AclTable {
  readonly defs = new Map<string, AclValue>();
  private generated = 0;

  constructor(readonly ctx: AclContext) {}

  /** `acl NAME …`: undefined if carried over, else the reason. */
  define(name: string, expr: string[]): string | undefined {
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) return `ACL name '${name}' has characters lbagent refuses`;
    const v = translateAclExpr(expr, this.ctx);
    const before = this.defs.get(name);
    if (!before) {
      this.defs.set(name, v);
      return 'left' in v ? v.left : undefined;
    }
    const merged = mergeAcl(before, v);
    this.defs.set(name, merged ?? { left: `ACL '${name}' is defined again with another fetch; an lbagent ACL has one fetch` });
    if (!merged) return `ACL '${name}' is defined again with another fetch; an lbagent ACL has one fetch`;
    return 'left' in merged ? merged.left : undefined;
  }

  /** A named ACL's value; HAProxy's predefined ones (LOCALHOST, METH_GET …) are written out when used. */
  value(name: string): AclValue {
    const own = this.defs.get(name);
    if (own) return own;
    const predefined = PREDEFINED[name];
    if (predefined && 'acl' in predefined) this.defs.set(name, predefined);
    return predefined ?? { left: `ACL '${name}' is not defined` };
  }

  /** A name for an anonymous ACL (`{ path_beg /img }`) that needs one. */
  anonymous(v: AclValue): string {
    let name: string;
    do name = `anon_${++this.generated}`;
    while (this.defs.has(name));
    this.defs.set(name, v);
    return name;
  }

  /** The acl: map to write (carried ACLs only). */
  toYaml(): Yaml | undefined {
    const out: Yaml = {};
    for (const [name, v] of this.defs) if ('acl' in v) out[name] = v.acl;
    return Object.keys(out).length ? out : undefined;
  }
}

/** Two definitions of one ACL name: the same fetch with more patterns, or undefined when lbagent cannot say it. */
function mergeAcl(a: AclValue, b: AclValue): AclValue | undefined {
  if ('left' in a) return a;
  if ('left' in b) return b;
  if ('constant' in a || 'constant' in b) return undefined;
  const [ka] = Object.keys(a.acl);
  const [kb] = Object.keys(b.acl);
  if (ka !== kb || !ka) return undefined;
  const va = a.acl[ka];
  const vb = b.acl[ka];
  if (Array.isArray(va) && Array.isArray(vb)) return { acl: { [ka]: [...va, ...vb] } };
  if (ka === 'path_reg') return { acl: { path_reg: joinRegex(va as string, vb as string) } };
  if (ka === 'hdr_reg' && (va as Yaml).name === (vb as Yaml).name) {
    return { acl: { hdr_reg: { name: (va as Yaml).name, regex: joinRegex((va as Yaml).regex as string, (vb as Yaml).regex as string) } } };
  }
  return undefined;
}

function joinRegex(a: string, b: string): string | undefined {
  const ci = (s: string) => s.startsWith('(?i)');
  if (ci(a) !== ci(b)) return undefined;
  const strip = (s: string) => (ci(s) ? s.slice(4) : s);
  return regexOf([strip(a), strip(b)], ci(a));
}

export type Condition = { always: true } | { never: true } | { cond: string | Yaml } | { left: string };

/**
 * `if|unless TERMS`: ACL names, `!name`, `{ anonymous acl }`, `||`/`or` between alternatives, as HAProxy reads
 * them. The result is lbagent's condition for `if` (an `unless` is returned negated only when it folds to a
 * constant; otherwise the caller writes it under `unless`).
 */
export function translateCondition(words: string[], acls: AclTable): Condition {
  type Term = { neg: boolean; name?: string; value: AclValue };
  const alternatives: Term[][] = [[]];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === '||' || w === 'or') {
      alternatives.push([]);
      continue;
    }
    let neg = false;
    while (w.startsWith('!')) {
      neg = !neg;
      w = w.slice(1);
    }
    if (w === '') {
      if (!words[i + 1]) return { left: "a condition ends with '!'" };
      w = words[++i]!;
    }
    if (w === '{') {
      const close = words.indexOf('}', i + 1);
      if (close < 0) return { left: "an anonymous ACL without its closing '}'" };
      const value = translateAclExpr(words.slice(i + 1, close), acls.ctx);
      alternatives.at(-1)!.push({ neg, value });
      i = close;
      continue;
    }
    alternatives.at(-1)!.push({ neg, name: w, value: acls.value(w) });
  }
  const kept: Term[][] = [];
  for (const alt of alternatives) {
    if (alt.length === 0) return { left: 'an empty condition' };
    for (const t of alt) if ('left' in t.value) return { left: t.name ? `ACL '${t.name}': ${t.value.left}` : t.value.left };
    // constants fold: a false term drops its alternative, a true one drops itself
    if (alt.some((t) => 'constant' in t.value && t.value.constant === t.neg)) continue;
    const rest = alt.filter((t) => !('constant' in t.value));
    if (rest.length === 0) return { always: true };
    kept.push(rest);
  }
  if (kept.length === 0) return { never: true };
  // one inline anonymous ACL as the whole condition is lbagent's inline form; else every anonymous one gets a name
  if (kept.length === 1 && kept[0]!.length === 1 && !kept[0]![0]!.neg && !kept[0]![0]!.name) return { cond: (kept[0]![0]!.value as { acl: Yaml }).acl };
  const text = kept.map((alt) => alt.map((t) => `${t.neg ? '!' : ''}${t.name ?? acls.anonymous(t.value)}`).join(' ')).join(' || ');
  return { cond: text };
}

export type Guard = { guard: Yaml } | { never: true } | { left: string };

/** Splits `… if|unless COND` off a rule's words: the words before, and lbagent's `if`/`unless` (empty: always). */
export function splitGuard(words: string[], acls: AclTable): { words: string[] } & Guard {
  const at = words.findIndex((w) => w === 'if' || w === 'unless');
  if (at < 0) return { words, guard: {} };
  const before = words.slice(0, at);
  const which = words[at] as 'if' | 'unless';
  const c = translateCondition(words.slice(at + 1), acls);
  if ('left' in c) return { words: before, left: c.left };
  const always = 'always' in c;
  if (always || 'never' in c) return (which === 'if') === always ? { words: before, guard: {} } : { words: before, never: true };
  return { words: before, guard: { [which]: c.cond } };
}
