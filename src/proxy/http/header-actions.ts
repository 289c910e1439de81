// Header actions of `http-request` / `http-response`, compiled once per rule at config load: set-header,
// add-header, del-header (by name as HAProxy's `-m str|beg|end|sub|reg`, or only the lines whose value matches,
// as HAProxy 1.x's `rspidel ^Set-Cookie:\ IP=`), replace-header and replace-value (HAProxy's: the regex is
// tried on each whole value, or each comma-separated value, and a matching one becomes the replacement with
// \1…\9 back-references). Regexes run on RE2 (re2js): linear in the header whatever the pattern.
import { RE2JS } from 're2js';
import type { Header } from './head.js';
import type { HeaderRule, MatchMethod, ValueMatch } from './rules-config.js';

/** `R`: what rule values are computed from (the request, see rules.ts). */
export type HeaderAction<R> = (headers: Header[], r: R) => void;
type Test = (s: string) => boolean;

/** A config regex: RE2 syntax (a leading `(?i)` makes it case-insensitive, HAProxy's `-i`). Throws when RE2 refuses it. */
export function compileRe2(text: string): RE2JS {
  return RE2JS.compile(text);
}

/** A pattern tested by HAProxy's match method; `lower` compares in lower case (header names). */
function matcher(method: MatchMethod, pattern: string, lower: boolean): Test {
  const p = lower && method !== 'reg' ? pattern.toLowerCase() : pattern;
  const norm = lower ? (s: string) => s.toLowerCase() : (s: string) => s;
  switch (method) {
    case 'str':
      return (s) => norm(s) === p;
    case 'beg':
      return (s) => norm(s).startsWith(p);
    case 'end':
      return (s) => norm(s).endsWith(p);
    case 'sub':
      return (s) => norm(s).includes(p);
    case 'reg': {
      const re = compileRe2(pattern);
      return (s) => re.test(norm(s));
    }
  }
}

function valueTest(m: ValueMatch): Test {
  const [method, pattern] = Object.entries(m)[0] as [MatchMethod, string];
  return matcher(method, pattern, false);
}

/** `\1`…`\9` in the (already expanded) replacement → the regex's groups; `\\` is a backslash. */
function substitute(fmt: string, groups: (string | null | undefined)[]): string {
  if (!fmt.includes('\\')) return fmt;
  return fmt.replace(/\\(\d|\\)/g, (_, d: string) => (d === '\\' ? '\\' : groups[Number(d)] ?? ''));
}

/** The value after replace-header's rule: the whole value replaced when the regex matches, else undefined. */
function replaced(re: RE2JS, value: string, fmt: string): string | undefined {
  const m = re.exec(value);
  return m ? substitute(fmt, m as (string | null)[]) : undefined;
}

function removeAll(h: Header[], keep: (name: string, value: string) => boolean): void {
  for (let i = h.length - 1; i >= 0; i--) if (!keep(h[i]![0], h[i]![1])) h.splice(i, 1);
}

export function headerAction<R>(rule: HeaderRule, compileValue: (text: string) => (r: R) => string): HeaderAction<R> {
  if ('set-header' in rule) {
    const { name } = rule['set-header'];
    const value = compileValue(rule['set-header'].value);
    const lower = name.toLowerCase();
    return (h, r) => {
      const v = value(r);
      removeAll(h, (n) => n.toLowerCase() !== lower);
      h.push([name, v]);
    };
  }
  if ('add-header' in rule) {
    const { name } = rule['add-header'];
    const value = compileValue(rule['add-header'].value);
    return (h, r) => void h.push([name, value(r)]);
  }
  if ('del-header' in rule) {
    const d = rule['del-header'];
    const nameIs = matcher(d.match, d.name, true);
    if (!d.value) return (h) => removeAll(h, (n) => !nameIs(n));
    const valueIs = valueTest(d.value);
    return (h) => removeAll(h, (n, v) => !(nameIs(n) && valueIs(v)));
  }
  const replaceValue = 'replace-value' in rule;
  const spec = 'replace-value' in rule ? rule['replace-value'] : rule['replace-header'];
  const re = compileRe2(spec.regex);
  const fmt = compileValue(spec.replace);
  const lower = spec.name.toLowerCase();
  return (h, r) => {
    let text: string | undefined;
    for (let i = 0; i < h.length; i++) {
      const [n, v] = h[i]!;
      if (n.toLowerCase() !== lower) continue;
      text ??= fmt(r);
      if (!replaceValue) {
        const out = replaced(re, v, text);
        if (out !== undefined) h[i] = [n, out];
        continue;
      }
      // As HAProxy 2.6 does: a replaced value loses the white space around it, the others keep theirs
      // ("192.168.1.1, 192.168.1.2, 10.0.0.1" → "172.16.1.1,172.16.1.2, 10.0.0.1").
      let changed = false;
      const parts = v.split(',').map((p) => {
        const out = replaced(re, p.trim(), text!);
        if (out === undefined) return p;
        changed = true;
        return out;
      });
      if (changed) h[i] = [n, parts.join(',')];
    }
  };
}
