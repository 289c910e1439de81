// serf's snapshot settings for `lbagent agent`: -snapshot / snapshot_path and -rejoin / rejoin_after_leave, from
// serf's JSON config and from flags (flags win; an empty --snapshot turns a file's off).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveAgentOptions } from '../../src/agent/options.js';
import { parseAgentArgs } from '../../src/cli/commands/agent.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir(after, 'lbagent-agent-snap-');

test('snapshot_path and rejoin_after_leave from serf\'s JSON config', async () => {
  const file = join(dir, 'serf.json');
  writeFileSync(file, JSON.stringify({ node_name: 'web-1', snapshot_path: '/var/lib/serf/snapshot', rejoin_after_leave: true }));
  const r = await resolveAgentOptions({ config: [file] });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.value.snapshotPath, '/var/lib/serf/snapshot');
  assert.equal(r.value.rejoinAfterLeave, true);
  assert.deepEqual(r.ignored, []);
  const off = await resolveAgentOptions({ config: [file], snapshot: '' });
  assert.ok(off.ok && off.value.snapshotPath === undefined);
});

test('--snapshot PATH and --rejoin, as serf agent -snapshot / -rejoin; off by default', async () => {
  const { flags } = parseAgentArgs(['--node', 'a', '--snapshot', '/tmp/a.snapshot', '--rejoin']);
  const r = await resolveAgentOptions(flags);
  assert.ok(r.ok && r.value.snapshotPath === '/tmp/a.snapshot' && r.value.rejoinAfterLeave === true);
  const d = await resolveAgentOptions({ node: 'a' });
  assert.ok(d.ok && d.value.snapshotPath === undefined && d.value.rejoinAfterLeave === false);
});
