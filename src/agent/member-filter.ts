// The member filters of both RPCs (`lbagent members --tag/--name`, serf's `members-filtered`). The regexps come
// from RPC clients, so they run on RE2 (linear time) like a query's tag filters; see filter-regex.ts.
import { compileFilterRegex, type SerfMember } from '../gossip/index.js';

export interface MemberFilter {
  status?: string;
  /** tag name → regexp of its value */
  tags?: Record<string, string>;
  /** regexp of the member name */
  name?: string;
}

/**
 * lbagent's members filters (HTTP RPC): status exact, tag values and name as unanchored regexps, a tag filter
 * passes only members that have the tag. Throws FilterRegexError (LBA_ERR_FILTER_REGEX) on a pattern RE2 refuses.
 */
export function filterMembers(members: SerfMember[], q: MemberFilter): SerfMember[] {
  const tagRes = Object.entries(q.tags ?? {}).map(([k, v]) => [k, compileFilterRegex(v)] as const);
  const nameRe = q.name ? compileFilterRegex(q.name) : undefined;
  return members.filter((m) => {
    if (q.status && m.status !== q.status) return false;
    if (nameRe && !nameRe.test(m.name)) return false;
    return tagRes.every(([k, re]) => m.tags[k] !== undefined && re.test(m.tags[k]!));
  });
}

/**
 * serf's `members-filtered` (agent ipc.go filterMembers): every filter, status included, is a regexp anchored as
 * `^EXPR$` (by plain concatenation, so `a|b` reads `^a|b$` there too), and a missing tag is matched as "".
 */
export function filterMembersSerf(members: SerfMember[], q: MemberFilter): SerfMember[] {
  const anchored = (expr: string) => compileFilterRegex(`^${expr}$`);
  const tagRes = Object.entries(q.tags ?? {}).map(([k, v]) => [k, anchored(v)] as const);
  const statusRe = q.status ? anchored(q.status) : undefined;
  const nameRe = q.name ? anchored(q.name) : undefined;
  return members.filter(
    (m) => tagRes.every(([k, re]) => re.test(m.tags[k] ?? '')) && (!statusRe || statusRe.test(m.status)) && (!nameRe || nameRe.test(m.name)),
  );
}
