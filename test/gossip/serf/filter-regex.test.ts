// Issue 14 (part 2): regexps from the network (query tag filters) and from RPC clients (member filters) run on
// RE2 in linear time. Patterns that backtrack exponentially in JavaScript answer in milliseconds; patterns RE2
// refuses are handled as serf handles them: the query is not processed, the RPC call is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterRegex, FILTER_REGEX_MAX_BYTES } from '../../../src/gossip/serf/filter-regex.js';
import { FilterRegex, type LbaError } from '../../../src/errors/index.js';
import { filtersMatch, nodeFilter, tagFilter } from '../../../src/gossip/serf/messages.js';
import { filterMembers, filterMembersSerf } from '../../../src/agent/member-filter.js';
import type { SerfMember } from '../../../src/gossip/serf/api.js';

// Each takes seconds to minutes in JavaScript's engine on these subjects (2^n backtracking).
const EVIL: Array<[string, string]> = [
  ['(a+)+$', `${'a'.repeat(26)}!`],
  ['(x+x+)+y', 'x'.repeat(26)],
  ['(a|aa)*c', 'a'.repeat(40)],
  ['^((a*)*)*b$', 'a'.repeat(30)],
  ['(\\w+\\s?)+$', `${'word '.repeat(8)}!`],
];

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
};

test('patterns that freeze a backtracking engine answer in milliseconds, on short and long subjects', () => {
  for (const [pattern, subject] of EVIL) {
    for (const s of [subject, subject.repeat(2000)]) {
      const [matched, ms] = timed(() => compileFilterRegex(pattern).test(s));
      assert.equal(matched, false, pattern);
      assert.ok(ms < 1000, `${pattern} on ${s.length} chars took ${ms.toFixed(0)} ms`);
    }
  }
});

test('a query tag filter with such a pattern is evaluated in milliseconds (and does not match)', () => {
  const self = { name: 'lb-1', tags: { role: `${'a'.repeat(26)}!` } };
  const [ok, ms] = timed(() => filtersMatch([tagFilter('role', '(a+)+$')], self));
  assert.equal(ok, false);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

test('matching is unanchored, as Go regexp.MatchString; a missing tag is matched as "" (serf)', () => {
  const self = { name: 'api-3', tags: { role: 'my-api-1' } };
  assert.equal(filtersMatch([tagFilter('role', 'api')], self), true);
  assert.equal(filtersMatch([tagFilter('role', '^api')], self), false);
  assert.equal(filtersMatch([tagFilter('role', '(?i)API-\\d$')], self), true);
  assert.equal(filtersMatch([tagFilter('dc', '^$')], self), true, 'no dc tag: matched as ""');
  assert.equal(filtersMatch([tagFilter('dc', '.')], self), false);
  assert.equal(filtersMatch([nodeFilter(['api-3']), tagFilter('role', 'api')], self), true);
  assert.equal(filtersMatch([nodeFilter(['other']), tagFilter('role', 'api')], self), false);
});

test('look-around, back-references and oversized patterns: the query is not processed and serf\'s warning is given', () => {
  const self = { name: 'n', tags: { role: 'aa' } };
  for (const expr of ['(?=a)a', '(?!b)a', '(?<=a)a', '(a)\\1', 'a{1001}', '.{999}.{999}', 'a'.repeat(FILTER_REGEX_MAX_BYTES + 1)]) {
    const warnings: string[] = [];
    assert.equal(filtersMatch([tagFilter('role', expr)], self, (m) => warnings.push(m)), false, expr.slice(0, 20));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^serf: failed to compile filter regex \(.*\): error parsing regexp: /);
    assert.ok(warnings[0]!.length < 300, 'a long pattern is cut in the log');
  }
  // A JS-only pattern is refused, a Go-only one works: the syntax is Go's, as serf's.
  assert.throws(() => compileFilterRegex('\\Z'), FilterRegex);
  assert.equal(compileFilterRegex('(?P<role>web)-[[:digit:]]+\\z').test('web-12'), true);
  const err = (() => {
    try {
      compileFilterRegex('(?=x)');
    } catch (e) {
      return e as LbaError;
    }
  })();
  assert.equal(err?.code, 'LBA_ERR_FILTER_REGEX');
});

test('unknown filter types are not for us (serf), with its warning', () => {
  const warnings: string[] = [];
  assert.equal(filtersMatch([Buffer.from([7, 0x90])], { name: 'n', tags: {} }, (m) => warnings.push(m)), false);
  assert.deepEqual(warnings, ['serf: query has unrecognized filter type: 7']);
});

const member = (name: string, tags: Record<string, string>, status: SerfMember['status'] = 'alive'): SerfMember => ({
  name, addr: '127.0.0.1', port: 7946, tags, status, protocol: { min: 1, max: 5, cur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5 },
});

test('member filters: lbagent\'s unanchored, serf\'s members-filtered anchored as ^EXPR$; both RE2 in linear time', () => {
  const ms = [member('web-1', { role: 'web' }), member('web-10', { role: 'webby' }), member('db-1', {}, 'failed')];
  const names = (list: SerfMember[]) => list.map((m) => m.name);
  assert.deepEqual(names(filterMembers(ms, { tags: { role: 'web' } })), ['web-1', 'web-10']);
  assert.deepEqual(names(filterMembers(ms, { name: '-1$' })), ['web-1', 'db-1']);
  assert.deepEqual(names(filterMembers(ms, { status: 'failed' })), ['db-1']);
  assert.deepEqual(names(filterMembersSerf(ms, { tags: { role: 'web' } })), ['web-1']);
  assert.deepEqual(names(filterMembersSerf(ms, { name: 'web-.' })), ['web-1']);
  assert.deepEqual(names(filterMembersSerf(ms, { status: 'a.*' })), ['web-1', 'web-10']);
  assert.deepEqual(names(filterMembersSerf(ms, { tags: { role: '' } })), ['db-1'], 'a missing tag reads ""');
  const evil = [member(`${'a'.repeat(26)}!`, { role: `${'a'.repeat(26)}!` })];
  const [found, took] = timed(() => [...filterMembers(evil, { name: '(a+)+$', tags: { role: '(a+)+$' } }), ...filterMembersSerf(evil, { tags: { role: '(a+)+' } })]);
  assert.equal(found.length, 0);
  assert.ok(took < 1000, `took ${took.toFixed(0)} ms`);
  assert.throws(() => filterMembers(ms, { name: '(?=x)' }), (e: LbaError) => e.code === 'LBA_ERR_FILTER_REGEX' && /invalid or unsupported Perl syntax/.test(e.message));
  assert.throws(() => filterMembersSerf(ms, { tags: { role: '(a)\\1' } }), FilterRegex);
});
