// haproxy.cfg text → sections: a keyword line (`global`, `defaults [NAME] [from NAME]`, `frontend NAME [ADDR]`,
// `backend NAME`, `listen NAME [ADDR]`, or another section HAProxy knows, such as `cache` or `peers`) opens one,
// every following line belongs to it. A line that cannot be read is kept as an error with its number.
import { tokenize, type Env } from './tokenize.js';
import type { Directive } from './types.js';

export type SectionKind = 'global' | 'defaults' | 'frontend' | 'backend' | 'listen';

/** Sections HAProxy has that lbagent has nothing for: their lines are left over as a block. */
export const FOREIGN_SECTIONS = new Set(['cache', 'peers', 'userlist', 'resolvers', 'mailers', 'program', 'ring', 'http-errors', 'fcgi-app', 'dynamic-update', 'namespace_list', 'log-forward', 'crt-store', 'traces']);
const OWN_SECTIONS = new Set<string>(['global', 'defaults', 'frontend', 'backend', 'listen']);

export interface Section {
  kind: SectionKind | 'foreign';
  /** the keyword as written (for foreign sections: `cache`, `peers` …) */
  keyword: string;
  name: string;
  header: Directive;
  directives: Directive[];
}

export interface ParsedConfig {
  sections: Section[];
  /** lines that could not be tokenized, or stand before any section */
  errors: { directive: Directive; reason: string }[];
}

export function parseSections(text: string, file: string, env?: Env): ParsedConfig {
  const sections: Section[] = [];
  const errors: ParsedConfig['errors'] = [];
  let current: Section | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const t = tokenize(raw, env);
    if ('error' in t) {
      errors.push({ directive: { file, line, words: [raw.trim()] }, reason: t.error });
      return;
    }
    if (t.words.length === 0) return;
    const d: Directive = { file, line, words: t.words };
    const keyword = t.words[0]!;
    if (OWN_SECTIONS.has(keyword) || FOREIGN_SECTIONS.has(keyword)) {
      current = {
        kind: OWN_SECTIONS.has(keyword) ? (keyword as SectionKind) : 'foreign',
        keyword,
        name: keyword === 'global' ? '' : (t.words[1] ?? ''),
        header: d,
        directives: [],
      };
      sections.push(current);
      return;
    }
    if (!current) errors.push({ directive: d, reason: 'outside of any section' });
    else current.directives.push(d);
  });
  return { sections, errors };
}
