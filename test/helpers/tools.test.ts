// The missing-program rule: skipped with the install hint locally, failed under CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';
import { findTool, needTool, underCi } from './tools.js';

const run = promisify(execFile);

function fakeContext() {
  const skips: (string | undefined)[] = [];
  return { skips, skip: (m?: string) => void skips.push(m) };
}

test('CI is on for CI=true or 1, off when unset, empty, 0 or false', () => {
  for (const v of ['true', 'TRUE', '1', 'yes']) assert.equal(underCi({ CI: v }), true, v);
  for (const v of [undefined, '', '0', 'false', 'False']) assert.equal(underCi({ CI: v }), false, String(v));
});

test('a program is found on PATH only as an executable file; a missing one skips locally and throws under CI', (t) => {
  const bin = tempDir(t, 'lbagent-tools-');
  writeFileSync(join(bin, 'serf'), '#!/bin/sh\n');
  writeFileSync(join(bin, 'haproxy'), 'not executable');
  chmodSync(join(bin, 'serf'), 0o755);
  const env = { PATH: bin };
  assert.equal(findTool('serf', env), join(bin, 'serf'));
  assert.equal(findTool('haproxy', env), undefined);

  const local = fakeContext();
  assert.equal(needTool(local, 'serf', { env }), join(bin, 'serf'));
  assert.deepEqual(local.skips, [], 'an installed program skips nothing');
  assert.equal(needTool(local, 'haproxy', { env }), undefined);
  assert.deepEqual(local.skips, ['haproxy is not installed (apt-get install haproxy)']);
  assert.equal(needTool(local, 'ip', { env }), undefined);
  assert.match(local.skips[1]!, /apt-get install iproute2/, 'the hint names the Debian package');

  const ci = fakeContext();
  assert.throws(() => needTool(ci, 'haproxy', { env: { ...env, CI: 'true' } }), /haproxy is not installed \(apt-get install haproxy\).*CI=true/);
  assert.deepEqual(ci.skips, [], 'under CI nothing is skipped');
});

test('through node:test: the test is reported skipped with the hint (run passes), and failed under CI=true', async (t) => {
  const dir = tempDir(t, 'lbagent-tools-run-');
  const file = join(dir, 'needs.test.ts');
  writeFileSync(file, `import { test } from 'node:test';
import { needTool } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'test', 'helpers', 'tools.ts')).href)};
test('needs a program nobody has', (t) => {
  if (!needTool(t, 'lbagent-no-such-program', { hint: 'apt-get install lbagent-nothing' })) return;
  throw new Error('ran without the program');
});
`);
  // NODE_TEST_CONTEXT (set by the runner running this file) would make the child report to us instead of printing TAP.
  const runIt = (ci: string) =>
    run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: repoRoot, env: { ...process.env, NODE_TEST_CONTEXT: undefined, CI: ci } }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
  const [local, ci] = await Promise.all([runIt(''), runIt('true')]);
  assert.equal(local.code, 0, local.out);
  assert.match(local.out, /^ok 1 - needs a program nobody has # SKIP lbagent-no-such-program is not installed \(apt-get install lbagent-nothing\)$/m);
  assert.notEqual(ci.code, 0, ci.out);
  assert.match(ci.out, /^not ok 1 - needs a program nobody has$/m);
  assert.match(ci.out, /lbagent-no-such-program is not installed \(apt-get install lbagent-nothing\)/);
});
