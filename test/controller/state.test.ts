// What the balancer keeps across a restart: where (state directory, default snapshot name) and the pause book
// next to the snapshot (restored with its Lamport times; a bad file is logged and ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { defaultSnapshotPath, defaultStateDir, pauseFileFor } from '../../src/balancer/state-dir.js';
import { loadPauseFile, savePauseFile } from '../../src/controller/pause-store.js';
import { PauseBook } from '../../src/controller/pauses.js';
import { gossipSettings } from '../../src/controller/config.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { tempDir } from '../helpers/tmp.js';

test('state directory: systemd\'s STATE_DIRECTORY, /var/lib/lbagent as root, else XDG_STATE_HOME or ~/.local/state', () => {
  assert.equal(defaultStateDir({ STATE_DIRECTORY: '/run/x:/run/y' }, 1000), '/run/x');
  assert.equal(defaultStateDir({}, 0), '/var/lib/lbagent');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/home/u/.st' }, 1000), '/home/u/.st/lbagent');
  assert.match(defaultStateDir({ XDG_STATE_HOME: 'relative' }, 1000), /\/\.local\/state\/lbagent$/);
});

test('default snapshot file: node name and gossip port, made safe for a file name', () => {
  assert.equal(defaultSnapshotPath('/var/lib/lbagent', 'lb-1', 7946), '/var/lib/lbagent/lb-1-7946.snapshot');
  assert.equal(defaultSnapshotPath('/s', '../evil/name x', 7946), '/s/__evil_name_x-7946.snapshot');
  assert.equal(pauseFileFor('/s/lb-1-7946.snapshot'), '/s/lb-1-7946.snapshot.pauses');
});

test('gossip.snapshot: a path, false or "" for none, absent for the default', () => {
  const cfg = (g: string) => {
    const r = parseMainConfig('lb.yml', `gossip: { node: lb-1${g} }\n`);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    return r.ok ? gossipSettings(r.value.gossip!).snapshot : 'bad';
  };
  assert.equal(cfg(''), undefined);
  assert.equal(cfg(', snapshot: /srv/lb.snapshot'), '/srv/lb.snapshot');
  assert.equal(cfg(', snapshot: false'), false);
  assert.equal(cfg(', snapshot: ""'), false);
});

test('pause book on disk: saved and restored with LTimes; a later event still wins over a restored one', (t) => {
  const file = join(tempDir(t, 'lbagent-pauses-'), 'lb.snapshot.pauses');
  const book = new PauseBook();
  book.onUserEvent('pause', 'web-1 10.0.0.1 web', 5);
  book.onUserEvent('pause', 'web-2', 6);
  book.onUserEvent('resume', 'web-2', 7);
  assert.ok(savePauseFile(file, book.view()));
  const back = new PauseBook();
  back.restore(loadPauseFile(file));
  assert.deepEqual([back.isPaused('web-1'), back.isPaused('web-2')], [true, false]);
  assert.equal(back.onUserEvent('pause', 'web-2', 6).applied, false, 'an old pause replayed after the restart does not undo the resume');
  assert.equal(back.onUserEvent('resume', 'web-1', 8).applied, true);
});

test('a pause file that is corrupt or not ours is logged once and ignored', (t) => {
  const dir = tempDir(t, 'lbagent-pauses-');
  const warnings: string[] = [];
  const log = pino({}, { write: (s: string) => void warnings.push(JSON.parse(s).msg) });
  for (const [i, text] of ['{not json', '{"version": 9, "nodes": {}}', '\u0000\u0001'].entries()) {
    writeFileSync(join(dir, `p${i}`), text);
    assert.equal(loadPauseFile(join(dir, `p${i}`), log).size, 0);
  }
  assert.equal(warnings.length, 3);
  assert.ok(warnings.every((w) => /^pause state .*\/p\d ignored: /.test(w)), warnings.join('\n'));
  // entries that make no sense are dropped, the good ones kept
  writeFileSync(join(dir, 'mixed'), JSON.stringify({ version: 1, nodes: { ok: { paused: true, ltime: 3, at: 1 }, bad: { paused: 'yes', ltime: 3 }, neg: { paused: true, ltime: -1 } } }));
  assert.deepEqual([...loadPauseFile(join(dir, 'mixed')).keys()], ['ok']);
  // unwritable: false and a warning, never a throw
  assert.equal(savePauseFile(join(dir, 'no', 'such', 'dir'), new Map(), log), false);
  assert.match(readFileSync(join(dir, 'mixed'), 'utf8'), /"ok"/);
});
