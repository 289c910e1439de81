// The repository's own lbagent.yml, roles.yml, docker-compose.yml and examples/compose/ are valid and agree with
// each other (test/e2e/compose.test.ts runs the compose file for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatConfigError } from '../../src/config/index.js';
import { rolesPath } from '../../src/controller/config.js';
import { loadMainConfig } from '../../src/main-config/main.js';
import { loadRoles, referencedBackends } from '../../src/controller/roles.js';
import { repoRoot } from '../helpers/paths.js';

const env = { LBAGENT_ENCRYPT: randomBytes(32).toString('base64'), LBAGENT_ADMIN_TOKEN: 't0ken', LBAGENT_ADVERTISE: '10.0.0.2' };

function checkBalancerFiles(file: string) {
  const cfg = loadMainConfig(file, { env });
  assert.ok(cfg.ok, cfg.ok ? '' : cfg.errors.map(formatConfigError).join('\n'));
  assert.equal(typeof cfg.value.roles, 'string');
  const roles = loadRoles(rolesPath(file, cfg.value.roles as string));
  assert.ok(roles.ok, roles.ok ? '' : roles.errors.map(formatConfigError).join('\n'));
  for (const b of referencedBackends(roles.value)) assert.ok(cfg.value.backends?.[b], `backend ${b} missing from ${file}`);
  return { cfg: cfg.value, roles: roles.value };
}

test('lbagent.yml and roles.yml validate; every backend roles.yml names exists; no gossip key is published', () => {
  checkBalancerFiles(join(repoRoot, 'lbagent.yml'));
  assert.equal(loadMainConfig(join(repoRoot, 'lbagent.yml'), { env: {} }).ok, false, 'a missing LBAGENT_ENCRYPT must be an error, not a default key');
});

test('examples/compose: the balancer binds what containers need; the admin API has a token', () => {
  const { cfg } = checkBalancerFiles(join(repoRoot, 'examples', 'compose', 'lbagent.yml'));
  assert.equal(cfg.admin?.bind?.host, '0.0.0.0');
  assert.equal(cfg.admin?.token, env.LBAGENT_ADMIN_TOKEN);
  for (const f of Object.values(cfg.frontends ?? {})) for (const b of [f.bind].flat()) assert.equal(b.host, '0.0.0.0');
});

test('docker-compose.yml: list-form commands on one line; agents join lb-1 encrypted with roles from roles.yml; no secret', () => {
  const files = ['docker-compose.yml', 'examples/compose/web-4.yml'];
  const services: Record<string, { command?: string[]; image?: string; environment?: Record<string, unknown>; ports?: string[] }> = {};
  for (const f of files) {
    const text = readFileSync(join(repoRoot, f), 'utf8');
    assert.doesNotMatch(text, /[A-Za-z0-9+/]{20,}={1,2}/, `${f}: looks like a published key`);
    Object.assign(services, (parse(text, { merge: true }) as { services: typeof services }).services);
  }
  const roles = loadRoles(join(repoRoot, 'examples', 'compose', 'roles.yml'));
  assert.ok(roles.ok);
  assert.deepEqual(services['lb-1']!.command, ['lbagent', 'balancer', '-c', '/app/examples/compose/lbagent.yml']);
  for (const p of services['lb-1']!.ports ?? []) assert.match(p, /^\$\{LBAGENT_PUBLISH:-127\.0\.0\.1\}:/);
  for (const [name, svc] of Object.entries(services)) {
    assert.ok(Array.isArray(svc.command), `${name}: command must be a list`);
    for (const arg of svc.command) assert.doesNotMatch(arg, /\n/, `${name}: a newline in its command splits it into separate shell commands`);
    assert.ok(svc.environment && 'LBAGENT_ENCRYPT' in svc.environment && svc.environment.LBAGENT_ENCRYPT === null, `${name}: LBAGENT_ENCRYPT is passed through, never set`);
    if (name === 'lb-1') continue;
    const cmd = svc.command.join(' ');
    const role = /-role (\w+)/.exec(cmd)?.[1];
    assert.ok(role && roles.value.roles[role], `${name}: role ${role} not in examples/compose/roles.yml`);
    assert.match(cmd, /--host 0\.0\.0\.0/);
    assert.match(cmd, /-encrypt "\$\$LBAGENT_ENCRYPT"/);
    assert.match(cmd, /-join lb-1\b/);
  }
});
