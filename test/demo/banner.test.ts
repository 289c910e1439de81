// The gossip demo's banner names real addresses whatever the number of app servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gossipBanner } from '../../src/demo/demo.js';

for (const n of [1, 2, 3]) {
  test(`gossip banner with ${n} app server(s) prints no undefined address`, () => {
    const apps = Array.from({ length: n }, (_, i) => ({ name: `web-0${i + 1}`, port: 8081 + i, pid: 100 + i }));
    const agents = apps.map((a, i) => ({ name: a.name, rpc: 7374 + i }));
    const text = gossipBanner('http://127.0.0.1:8080', 'http://127.0.0.1:8404', '/tmp/d/lbagent.yml', apps, agents, 7946, 'http://127.0.0.1:8405/stats').join('\n');
    assert.doesNotMatch(text, /undefined/);
    assert.match(text, new RegExp(`leave --rpc-addr 127\\.0\\.0\\.1:${n > 1 ? 7375 : 7374}`));
  });
}
