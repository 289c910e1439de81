// serf's snapshot file: the line format, replay (later lines win, leave, bad and truncated lines skipped),
// compaction, files that cannot be used, and a serf node that restarts from it: clocks restored, the members it
// knew rejoined, events it had seen not delivered again, events sent while it was away delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { openSnapshot, parseSnapshot } from '../../../src/gossip/serf/snapshot.js';
import { createSerf } from '../../../src/gossip/serf/serf.js';
import type { Serf, SerfConfig } from '../../../src/gossip/serf/api.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg), msgs: () => lines.map((l) => l.msg) };
}

test('replay: later lines win, not-alive removes, clocks are the last written', () => {
  const r = parseSnapshot(['alive: web-1 10.0.0.1:7946', 'alive: web 2 10.0.0.2:7946', 'clock: 3', 'event-clock: 7', 'query-clock: 2',
    'alive: web-1 10.0.0.9:7000', 'not-alive: web 2', '# a comment', 'coordinate: {}', 'clock: 5', 'alive: v6 [fd00::1]:7946', ''].join('\n'), false);
  assert.deepEqual(r.alive, [{ name: 'web-1', addr: '10.0.0.9:7000' }, { name: 'v6', addr: '[fd00::1]:7946' }]);
  assert.deepEqual([r.clock, r.eventClock, r.queryClock], [5, 7, 2]);
  assert.equal(r.problemCount, 0);
});

test('replay: a leave forgets the members and clocks before it, unless rejoinAfterLeave', () => {
  const text = 'alive: a 10.0.0.1:7946\nclock: 4\nevent-clock: 9\nleave\nclock: 5\n';
  const plain = parseSnapshot(text, false);
  assert.deepEqual([plain.alive.length, plain.clock, plain.eventClock, plain.leftBefore], [0, 5, 0, true]);
  const rejoin = parseSnapshot(text, true);
  assert.deepEqual([rejoin.alive, rejoin.clock, rejoin.eventClock], [[{ name: 'a', addr: '10.0.0.1:7946' }], 5, 9]);
});

test('replay: corrupt lines are skipped and counted, a truncated last line too', () => {
  const r = parseSnapshot(['alive: good 10.0.0.1:7946', 'alive: noaddr', 'alive: bad 10.0.0.300:7946', 'alive: badport 10.0.0.1:99999', 'clock: x1', 'event-clock: -3',
    '\u0000\u0001garbage', 'query-clock: 4', 'alive: cut 10.0.0.2:79'].join('\n'), false);
  assert.deepEqual(r.alive, [{ name: 'good', addr: '10.0.0.1:7946' }], 'the truncated alive line is not taken');
  assert.equal(r.queryClock, 4);
  assert.equal(r.clock, 0);
  assert.equal(r.problemCount, 7);
  assert.match(r.problems[0]!, /^line 2: bad alive entry/);
  assert.equal(r.problems.length, 3, 'only the first few are kept for the log line');
});

test('the file: serf\'s line format, a leave written at once, everything back on reopen', (t) => {
  const dir = tempDir(t, 'lbagent-snap-');
  const path = join(dir, 'state', 'node.snapshot'); // the directory is created
  let clock = 1;
  const { snapshotter: s } = openSnapshot({ path, rejoinAfterLeave: true, clock: () => clock });
  assert.ok(s);
  s.memberAlive('lb-1', '10.0.0.1', 7946);
  clock = 3;
  s.memberAlive('web-1', '10.0.0.2', 7946);
  s.memberAlive('v6', 'fd00::2', 7946);
  s.memberGone('v6');
  s.userEvent(5);
  s.userEvent(4); // older: not written
  s.query(2);
  s.leave(); // flushes at once
  assert.equal(readFileSync(path, 'utf8'), ['alive: lb-1 10.0.0.1:7946', 'alive: web-1 10.0.0.2:7946', 'clock: 2', 'alive: v6 [fd00::2]:7946', 'not-alive: v6',
    'event-clock: 5', 'query-clock: 2', 'leave', ''].join('\n'));
  s.memberAlive('late', '10.0.0.3', 7946); // after the leave: not recorded
  clock = 9;
  s.close();
  assert.match(readFileSync(path, 'utf8'), /leave\nclock: 8\n$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const again = openSnapshot({ path, rejoinAfterLeave: true, clock: () => 1 });
  assert.deepEqual(again.recovered.alive.map((p) => p.name), ['lb-1', 'web-1']);
  assert.deepEqual([again.recovered.clock, again.recovered.eventClock, again.recovered.queryClock], [8, 5, 2]);
  again.snapshotter!.close();
  const noRejoin = openSnapshot({ path, rejoinAfterLeave: false, clock: () => 1 });
  assert.deepEqual(noRejoin.recovered.alive, [], 'without rejoinAfterLeave a graceful leave means: do not come back');
  noRejoin.snapshotter!.close();
});

test('compaction: past the threshold the file is rewritten to the live members and the clocks', (t) => {
  const path = join(tempDir(t, 'lbagent-snap-'), 'node.snapshot');
  const { snapshotter: s } = openSnapshot({ path, rejoinAfterLeave: false, clock: () => 1, minCompactSize: 1024 });
  for (let i = 0; i < 200; i++) {
    s!.memberAlive(`flappy-${i % 5}`, '10.0.0.5', 7946);
    s!.memberGone(`flappy-${i % 5}`);
    s!.userEvent(i + 1);
  }
  s!.memberAlive('stays', '10.0.0.6', 7946);
  s!.close();
  const text = readFileSync(path, 'utf8');
  assert.ok(text.length < 2048, `compacted (${text.length} bytes)`);
  const r = parseSnapshot(text, false);
  assert.deepEqual(r.alive, [{ name: 'stays', addr: '10.0.0.6:7946' }]);
  assert.equal(r.eventClock, 200);
  assert.equal(r.problemCount, 0);
});

test('a corrupt file is logged in one line, its good lines kept, and rewritten clean', (t) => {
  const path = join(tempDir(t, 'lbagent-snap-'), 'node.snapshot');
  writeFileSync(path, 'alive: a 10.0.0.1:7946\n\u0000\u0000\u00ff binary junk\nclock: 12\nevent-clock: 4\nalive: b 10.0.0.2:79');
  const c = capture();
  const { snapshotter, recovered } = openSnapshot({ path, rejoinAfterLeave: false, clock: () => 1, log: c.log });
  assert.deepEqual(recovered.alive.map((p) => p.name), ['a']);
  assert.equal(recovered.clock, 12);
  assert.equal(c.warnings().length, 1);
  assert.match(c.warnings()[0]!, new RegExp(`snapshot ${path}: skipped 2 bad line\\(s\\): line 2: unrecognized line .*; line 5: truncated last line`));
  snapshotter!.close();
  assert.equal(parseSnapshot(readFileSync(path, 'utf8'), false).problemCount, 0);
});

test('a snapshot that cannot be used is a warning, never an error', (t) => {
  const dir = tempDir(t, 'lbagent-snap-');
  // the path is a directory: cannot be read nor opened
  mkdirSync(join(dir, 'isdir'));
  const c = capture();
  const a = openSnapshot({ path: join(dir, 'isdir'), rejoinAfterLeave: false, clock: () => 1, log: c.log });
  assert.equal(a.snapshotter, undefined);
  assert.deepEqual(a.recovered.alive, []);
  assert.ok(c.warnings().some((w) => w.includes(join(dir, 'isdir')) && /EISDIR/.test(w)), c.warnings().join('\n'));
  // its directory cannot be created (a file is in the way)
  writeFileSync(join(dir, 'file'), '');
  const d = capture();
  const b = openSnapshot({ path: join(dir, 'file', 'sub', 'x.snapshot'), rejoinAfterLeave: false, clock: () => 1, log: d.log });
  assert.equal(b.snapshotter, undefined);
  assert.equal(d.warnings().length, 1);
  assert.match(d.warnings()[0]!, /snapshot disabled: cannot create directory .*file\/sub/);
});

test('a serf node restarted from its snapshot: clocks restored, rejoins alone, old events not redelivered, missed ones delivered', { timeout: 90_000 }, async (t) => {
  const path = join(tempDir(t, 'lbagent-snap-'), 'lb.snapshot');
  const nodes: Serf[] = [];
  const start = async (name: string, extra: Partial<SerfConfig> = {}, log?: pino.Logger) => {
    const s = await createSerf({ nodeName: name, bindAddr: '127.0.0.1', bindPort: 0, tags: {}, profile: 'local', logger: log, ...extra });
    nodes.push(s);
    return s;
  };
  t.after(() => Promise.all(nodes.map((s) => s.shutdown())));
  const app = await start('app');
  const lb = await start('lb', { snapshotPath: path, rejoinAfterLeave: true });
  const lbPort = lb.localMember().port;
  await app.join([`127.0.0.1:${lbPort}`]); // the app joins the balancer, never the other way round
  for (let i = 0; i < 3; i++) await app.userEvent('pause', Buffer.from(`old-${i}`), false);
  await waitFor('lb saw the events', () => lb.stats().eventTime >= 4);
  const before = lb.stats();
  await lb.leave();
  await lb.shutdown();
  await waitFor('app saw lb leave', () => app.members().find((m) => m.name === 'lb')?.status === 'left');
  await app.userEvent('pause', Buffer.from('while-away'), false);

  const c = capture();
  const lb2 = await start('lb', { snapshotPath: path, rejoinAfterLeave: true, bindPort: lbPort }, c.log);
  const seen: string[] = [];
  lb2.subscribe((e) => void (e.type === 'user' && seen.push(e.payload.toString())));
  assert.ok(lb2.stats().memberTime > before.memberTime - 1, 'member clock restored');
  assert.ok(lb2.stats().eventTime >= before.eventTime, 'event clock restored');
  await waitFor('lb rejoined app by itself', () => lb2.members().find((m) => m.name === 'app')?.status === 'alive' && app.members().find((m) => m.name === 'lb')?.status === 'alive', { timeoutMs: 30_000 });
  await waitFor('the event sent while away is delivered', () => seen.includes('while-away'), { timeoutMs: 30_000 });
  assert.deepEqual(seen, ['while-away'], 'events seen before the restart are not delivered again');
  assert.ok(c.msgs().includes('serf: Ignoring previous leave in snapshot'));
  assert.ok(c.msgs().some((m) => m.startsWith('serf: Attempting re-join to previously known node: app: 127.0.0.1:')), c.msgs().join('\n'));
  assert.ok(c.msgs().some((m) => m.startsWith('serf: Re-joined to previously known node: app: 127.0.0.1:')));
  // new events still count
  await app.userEvent('pause', Buffer.from('after'), false);
  await waitFor('a new event is delivered', () => seen.includes('after'));
});
