import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PauseBook, parsePausePayload } from '../../src/controller/pauses.js';

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
