import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lbagentBin } from './helpers/paths.js';

const run = promisify(execFile);

test('lbagent --help lists every command', async () => {
  const { stdout } = await run(process.execPath, [lbagentBin, '--help']);
  for (const cmd of ['balancer', 'check', 'demo', 'agent', 'join', 'leave', 'force-leave', 'members', 'event', 'tags', 'keygen', 'keys', 'servers']) {
    assert.match(stdout, new RegExp(`^    ${cmd} `, 'm'), `help lists ${cmd}`);
  }
});
