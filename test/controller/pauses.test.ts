import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPauseTarget, PauseBook, parsePausePayload, pausesByMember } from '../../src/controller/pauses.js';

test('pause payload: serf "NODE IP ROLE" or just "NODE"', () => {
  assert.equal(parsePausePayload('web-01 10.0.0.11 web'), 'web-01');
  assert.equal(parsePausePayload(Buffer.from('web-02\n')), 'web-02');
  assert.equal(parsePausePayload(''), undefined);
  assert.equal(parsePausePayload('   '), undefined);
  assert.equal(parsePausePayload('a\x00b'), undefined);
});

// [events in arrival order, expected paused state of web-01]
const cases: Array<[string, Array<[string, string, number]>, boolean | undefined]> = [
  ['pause', [['pause', 'web-01 10.0.0.1 web', 5]], true],
  ['pause then resume', [['pause', 'web-01', 5], ['resume', 'web-01', 6]], false],
  ['replayed out of order: later ltime wins', [['resume', 'web-01', 9], ['pause', 'web-01', 4]], false],
  ['replayed out of order: pause is newest', [['pause', 'web-01', 9], ['resume', 'web-01', 4]], true],
  ['equal ltime: the one received later', [['pause', 'web-01', 7], ['resume', 'web-01', 7]], false],
  ['other nodes do not matter', [['pause', 'web-02', 7]], undefined],
  ['other events ignored', [['deploy', 'web-01', 7]], undefined],
];
for (const [what, events, expected] of cases) {
  test(`pauses: ${what}`, () => {
    const book = new PauseBook();
    for (const [name, payload, ltime] of events) book.onUserEvent(name, payload, ltime);
    assert.equal(book.get('web-01')?.paused, expected);
  });
}

test('pauses: older event reports why it was not applied', () => {
  const book = new PauseBook();
  book.onUserEvent('resume', 'n1', 10);
  const r = book.onUserEvent('pause', 'n1', 3);
  assert.equal(r.applied, false);
  assert.match(!r.applied ? r.why : '', /older than the resume at ltime 10/);
});

test('pauses by name: another case applies when it names one member only; the later LTime wins', () => {
  const rec = (paused: boolean, ltime: number) => ({ paused, ltime, at: 0 });
  const members = ['web-01', 'WEB-02', 'Api-1', 'api-1'];
  const got = pausesByMember(members, new Map([
    ['WEB-01', rec(true, 5)], // %COMPUTERNAME% style: applies to web-01
    ['web-02', rec(true, 3)],
    ['WEB-02', rec(false, 2)], // its exact record is older: the other-case pause (ltime 3) wins
    ['API-1', rec(true, 4)], // two members match ignoring case: applies to neither
    ['db-9', rec(true, 1)], // no member
  ]));
  assert.deepEqual(Object.fromEntries([...got].map(([n, r]) => [n, `${r.paused}@${r.ltime}`])), { 'web-01': 'true@5', 'WEB-02': 'true@3' });
  // an exact record later than the other-case one wins
  assert.equal(pausesByMember(['web-01'], new Map([['WEB-01', rec(true, 5)], ['web-01', rec(false, 6)]])).get('web-01')?.paused, false);
});

test('pause target: exact, by case, or the close names for the warning', () => {
  const names = ['web-01', 'web-02', 'api-1', 'API-1'];
  assert.deepEqual(matchPauseTarget('web-01', names), { member: 'web-01', exact: true });
  assert.deepEqual(matchPauseTarget('WEB-01', names), { member: 'web-01', exact: false });
  assert.deepEqual(matchPauseTarget('web-1', names), { close: ['web-01', 'web-02'] });
  assert.deepEqual(matchPauseTarget('Api-1', names), { close: ['API-1', 'api-1'] });
  assert.deepEqual(matchPauseTarget('database-primary', names), { close: [] });
});
