import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError } from '../../src/config/index.js';
import { parseRoles, referencedBackends } from '../../src/controller/roles.js';

test('roles.yml: backends by name or with overrides; durations converted', () => {
  const r = parseRoles('roles.yml', [
    'defaults:',
    '  port: 8080',
    'roles:',
    '  web:',
    '    lb: [web, { backend: web-canary, weight: 5, backup: true, check: { interval: 2s, rise: 3, fall: 2, port: 9000 } }]',
    '    monitor: [web-shadow]',
    '  worker:',
  ].join('\n'));
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
  assert.deepEqual(r.value.roles.web!.lb![0], { backend: 'web' });
  assert.equal(r.value.roles.web!.lb![1]!.check!.interval, 2000);
  assert.deepEqual(r.value.roles.worker, {});
  assert.deepEqual([...referencedBackends(r.value)].sort(), ['web', 'web-canary', 'web-shadow']);
});

const bad: Array<[string, string, string]> = [
  ['unknown key', 'roles:\n  web:\n    lbb: [web]\n', 'roles.yml:3:5: \'roles.web.lbb\' unknown key'],
  ['bad weight', 'roles:\n  web:\n    lb: [web]\n    weight: 999\n', 'roles.yml:4:13: \'roles.web.weight\''],
  ['bad duration', 'roles:\n  web:\n    check: { interval: soon }\n', "roles.yml:3:24: 'roles.web.check.interval' invalid duration 'soon'"],
  ['role lb is reserved', 'roles:\n  lb:\n    lb: [web]\n', "roles.yml:3:5: 'roles.lb' role 'lb' is the balancers' own role"],
  ['no role at all (an emptied file)', 'defaults: { port: 80 }\n', 'roles.yml:1:1: no roles defined'],
  ['interval twice', 'web:\n  lb: web\n  interval: 2s\n  check: { interval: 1s }\n', "roles.yml:3:13: 'web.interval' interval and check.interval are both set"],
  ['bare interval too long to be seconds', 'web:\n  interval: 5000\n', "roles.yml:2:13: 'web.interval' a bare interval is seconds: 5000 would be 5000 s (expected a unit (5000ms or 5000s)"],
  ['role in both layouts', 'roles:\n  web: { lb: web }\nweb: { lb: api }\n', "roles.yml:3:6: 'web' role 'web' is defined twice"],
  ['lb at the top level is the balancers', 'lb: { lb: web }\n', "roles.yml:1:5: 'lb' role 'lb' is the balancers' own role"],
  ['lb of the wrong type', 'web: { lb: 5 }\n', "roles.yml:1:12: 'web.lb' wrong type: a number (5) (expected a backend name, a list of them, or none)"],
  ['yaml syntax', 'roles:\n  web: [\n', 'roles.yml:'],
];
for (const [what, text, expected] of bad) {
  test(`roles.yml rejected with position: ${what}`, () => {
    const r = parseRoles('roles.yml', text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const msgs = r.errors.map(formatConfigError);
    assert.ok(msgs.some((m) => m.startsWith(expected)), `${msgs.join('\n')}\n does not start with ${expected}`);
  });
}
