// The repository's own lbagent.yml, roles.yml and docker-compose.yml are valid and agree with each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatConfigError } from '../../src/config/index.js';
import { loadBalancerConfig, rolesPath } from '../../src/controller/config.js';
import { loadRoles, referencedBackends } from '../../src/controller/roles.js';
import { repoRoot } from '../helpers/paths.js';

test('lbagent.yml and roles.yml validate; every backend roles.yml names exists', () => {
  const cfg = loadBalancerConfig(join(repoRoot, 'lbagent.yml'), { env: {} });
  assert.ok(cfg.ok, cfg.ok ? '' : cfg.errors.map(formatConfigError).join('\n'));
  assert.equal(typeof cfg.value.roles, 'string');
  const roles = loadRoles(rolesPath(join(repoRoot, 'lbagent.yml'), cfg.value.roles as string));
  assert.ok(roles.ok, roles.ok ? '' : roles.errors.map(formatConfigError).join('\n'));
  for (const b of referencedBackends(roles.value)) assert.ok(cfg.value.backends?.[b], `backend ${b} missing from lbagent.yml`);
});

test('docker-compose.yml: balancer runs lbagent.yml; agents join; app roles exist in roles.yml', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command: string | string[] }> };
  const roles = loadRoles(join(repoRoot, 'roles.yml'));
  assert.ok(roles.ok);
  assert.deepEqual(compose.services['lb-1']!.command, ['node', 'bin/lbagent.js', 'balancer', '-c', 'lbagent.yml']);
  for (const [name, svc] of Object.entries(compose.services)) {
    if (name === 'lb-1') continue;
    const role = /-tag role=(\w+)/.exec(String(svc.command))?.[1];
    assert.ok(role && roles.value.roles[role], `${name}: role ${role} not in roles.yml`);
    assert.match(String(svc.command), /-join web-1:7946/);
  }
});
