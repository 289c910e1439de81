// The agent's log tap for `monitor`: the logger writes every debug-or-above line to it whatever its own level;
// the last 512 lines are kept for late monitors; lines come out in serf's format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { formatLogLine, LogTap, monitorLevel } from '../../src/log/tap.js';

test('a logger at info still gives its debug lines to the tap; stdout keeps only its level', () => {
  const tap = new LogTap();
  let out = '';
  const destination = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
  const log = createLogger({ level: 'info', destination, tap });
  log.debug('memberlist: Initiating push/pull sync with: b 127.0.0.1:7946');
  log.info('serf: EventMemberJoin: b 127.0.0.1');
  const seen: string[] = [];
  tap.subscribe(monitorLevel('debug')!, (e) => seen.push(formatLogLine(e)));
  assert.equal(seen.length, 2);
  assert.match(seen[0]!, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[DEBUG\] memberlist: Initiating push\/pull sync with: b 127\.0\.0\.1:7946$/);
  assert.match(seen[1]!, /\[INFO\] serf: EventMemberJoin: b 127\.0\.0\.1$/);
  assert.doesNotMatch(out, /push\/pull/, 'the debug line is not on stdout');
  assert.match(out, /EventMemberJoin/);
});

test('late monitors get the last 512 lines at their level, then new ones; unknown levels are refused', () => {
  const tap = new LogTap();
  for (let i = 0; i < 600; i++) tap.write(JSON.stringify({ level: i % 2 ? 40 : 30, time: 0, msg: `line ${i}` }));
  tap.write('not json at all');
  const warn: string[] = [];
  const stop = tap.subscribe(monitorLevel('WARN')!, (e) => warn.push(e.msg));
  assert.equal(warn.length, 256, 'half of the kept 512 are warnings');
  assert.equal(warn[0], 'line 89');
  tap.write(JSON.stringify({ level: 50, time: 0, msg: 'boom' }));
  assert.equal(warn.at(-1), 'boom');
  stop();
  tap.write(JSON.stringify({ level: 50, time: 0, msg: 'after stop' }));
  assert.equal(warn.at(-1), 'boom');
  assert.equal(monitorLevel('err'), 50);
  assert.equal(monitorLevel('loud'), undefined);
});
