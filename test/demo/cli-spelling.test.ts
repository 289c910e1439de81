// The demo's banner prints commands that work where the user is: `lbagent` only when that is this program on PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSpelling } from '../../src/demo/cli-spelling.js';
import { tempDir } from '../helpers/tmp.js';

test('lbagent when the first lbagent on PATH links to this bin; node PATH otherwise', (t) => {
  const dir = tempDir(t, 'lbagent-spelling-');
  const bin = join(dir, 'pkg', 'bin', 'lbagent.js');
  mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
  writeFileSync(bin, '#!/usr/bin/env node\n');
  chmodSync(bin, 0o755);
  const [global, other] = [join(dir, 'global'), join(dir, 'other')];
  mkdirSync(global);
  mkdirSync(other);
  symlinkSync(bin, join(global, 'lbagent')); // what npm install -g and npm link make
  writeFileSync(join(other, 'lbagent'), '#!/bin/sh\n');

  assert.equal(cliSpelling(bin, { path: `/nonexistent:${global}:/usr/bin` }), 'lbagent');
  // another lbagent first on PATH (an older install): the banner must not send the user to it
  assert.equal(cliSpelling(bin, { path: `${other}:${global}`, cwd: join(dir, 'pkg') }), 'node bin/lbagent.js');
  // not on PATH: relative from the checkout, absolute from elsewhere
  assert.equal(cliSpelling(bin, { path: '/usr/bin', cwd: join(dir, 'pkg') }), 'node bin/lbagent.js');
  assert.equal(cliSpelling(bin, { path: '/usr/bin', cwd: other }), `node ${bin}`);
});
