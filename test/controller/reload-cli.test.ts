// `lbagent balancer` as a process under run-time config changes: an emptied, half-written, listener-less or
// invalid lbagent.yml is refused with file:line:col while traffic keeps flowing; an editor's save that empties
// the file for a moment ends with the full version applied; admin.token and admin.bind change in place; settings
// a reload cannot change are named. The start and `lbagent check` refuse what a reload refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { lbagentBin, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { GiveUp, waitFor } from '../helpers/wait.js';
import { rawRequest, startBackend } from '../proxy/fixtures.js';

const run = promisify(execFile);

function startBalancerProcess(t: import('node:test').TestContext, file: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LBAGENT_LOG_FORMAT: 'json' };
  delete env.LBAGENT_LOG_LEVEL; // the file's global.log_level is what the test changes
  const proc = spawn(process.execPath, [lbagentBin, 'balancer', '-c', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, exited, out: () => out };
}

/** Count of log lines (JSON) whose msg includes `text`. */
function count(out: string, text: string): number {
  return out.split('\n').filter((l) => l.includes(text)).length;
}

test('a running balancer refuses an emptied, half-written, listener-less or invalid lbagent.yml and keeps serving; a correct edit is applied', { timeout: 120_000 }, async (t) => {
  const a = await startBackend('a');
  const b = await startBackend('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const [web, admin, admin2] = [await freePort(), await freePort(), await freePort()];
  const dir = tempDir(t, 'lbagent-reload-');
  const file = join(dir, 'lbagent.yml');
  const config = (server: { port: number; name: string }, adminPart = `bind: "127.0.0.1:${admin}", token: old-token`, extra = '') =>
    [
      `admin: { ${adminPart} }`,
      'frontends:',
      `  web: { bind: "127.0.0.1:${web}", default_backend: app }`,
      'backends:',
      '  app:',
      '    servers:',
      `      - { name: ${server.name}, addr: "127.0.0.1:${server.port}" }`,
      extra,
    ].join('\n');
  const A = { name: 'a', port: a.port };
  const B = { name: 'b', port: b.port };
  writeFileSync(file, config(A));
  const lb = startBalancerProcess(t, file);
  const ask = async () => (await rawRequest(web, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).body;
  await waitFor('balancer serving', async () => {
    if (lb.proc.exitCode !== null) throw new GiveUp(`balancer exited: ${lb.out()}`);
    return (await ask()) === 'a /x 0';
  }, { timeoutMs: 30_000 });

  // Traffic on new connections all along: no request may fail while bad files come and go.
  const failures: string[] = [];
  let served = 0;
  let probing = true;
  const probe = (async () => {
    while (probing) {
      try {
        const body = await ask();
        if (/^[ab] \/x 0$/.test(body)) served++;
        else failures.push(body);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  })();
  t.after(() => {
    probing = false;
    return probe;
  });

  const REJECTED = 'reload rejected: Fatal errors found in configuration';
  const refused = async (what: string, text: string, where: RegExp) => {
    const before = count(lb.out(), REJECTED);
    writeFileSync(file, text);
    await waitFor(`${what} refused`, () => count(lb.out(), REJECTED) > before, { timeoutMs: 30_000 });
    assert.match(lb.out(), where, `${what}: the rejection names file:line:col`);
    assert.equal(await ask(), 'a /x 0', `${what}: the running config stays in force`);
  };
  const esc = file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  await refused('an emptied file', '', new RegExp(`reload rejected: ${esc}:1:1: the file is empty: no listener.*LBA_ERR_NO_LISTENER`));
  const full = config(B);
  const half = full.slice(0, full.indexOf('addr: "127.0.0.1:') + 12); // cut inside a flow mapping
  await refused('a half-written file', half, new RegExp(`reload rejected: ${esc}:7:\\d+: YAML syntax error`));
  await refused('a file without frontends', `admin: { bind: "127.0.0.1:${admin}", token: old-token }\nbackends:\n  app: { servers: [] }\n`, new RegExp(`reload rejected: ${esc}:1:1: no listener`));
  await refused('an invalid file', config(B).replace('default_backend: app', 'default_backend: nowhere'), new RegExp(`reload rejected: ${esc}:3:\\d+: 'frontends\\.web\\.default_backend' unable to find required default_backend 'nowhere'`));

  // A correct edit is applied.
  writeFileSync(file, config(B));
  await waitFor('correct edit applied', async () => (await ask()) === 'b /x 0', { timeoutMs: 30_000 });

  // An editor's save: the file is empty for a moment, then written in full. The full version ends up in force.
  writeFileSync(file, '');
  writeFileSync(file, config(A));
  await waitFor('full version applied after a momentary empty file', async () => (await ask()) === 'a /x 0', { timeoutMs: 30_000 });
  // And with the empty file seen and refused first.
  const before = count(lb.out(), REJECTED);
  writeFileSync(file, '');
  await waitFor('momentary empty file refused', () => count(lb.out(), REJECTED) > before, { timeoutMs: 30_000 });
  writeFileSync(file, config(B));
  await waitFor('full version applied after the refused empty file', async () => (await ask()) === 'b /x 0', { timeoutMs: 30_000 });

  probing = false;
  await probe;
  assert.deepEqual(failures, [], 'no request failed during the bad reloads');
  assert.ok(served > 0);

  // admin.token and admin.bind are applied in place; a setting only a restart changes is named, not applied.
  const api = (port: number, token: string) => fetch(`http://127.0.0.1:${port}/v1/backends`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  assert.equal(await api(admin, 'old-token'), 200);
  writeFileSync(file, config(B, `bind: "127.0.0.1:${admin}", token: new-token`));
  await waitFor('new admin token in force', async () => (await api(admin, 'new-token')) === 200, { timeoutMs: 30_000 });
  assert.equal(await api(admin, 'old-token'), 401, 'the old token no longer works');
  writeFileSync(file, config(B, `bind: "127.0.0.1:${admin2}", token: new-token`, 'global: { workers: 2 }'));
  await waitFor('admin API moved', async () => (await api(admin2, 'new-token').catch(() => 0)) === 200, { timeoutMs: 30_000 });
  await assert.rejects(api(admin, 'new-token'), 'the old admin address is closed');
  await waitFor('restart-needed setting named', () => lb.out().includes("reload: 'global.workers' changed but cannot change in place"));
  assert.equal(count(lb.out(), 'proxy workers started'), 0, 'no workers were forked by the reload');
  assert.equal(await ask(), 'b /x 0');

  lb.proc.kill('SIGTERM');
  assert.equal(await lb.exited, 0);
});

test('the start and lbagent check refuse what a reload refuses: no listener, roles naming an unknown backend', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'lbagent-start-');
  const file = join(dir, 'lbagent.yml');
  const port = await freePort();
  const check = (f: string) => run(process.execPath, [lbagentBin, 'check', '-c', f], { cwd: repoRoot }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

  // No listener: haproxy -c's words and exit code 2; the balancer does not start.
  writeFileSync(file, 'backends:\n  app: { servers: [] }\n');
  const c1 = await check(file);
  assert.equal(c1.code, 2);
  assert.equal(c1.stdout, 'Configuration file has no error but will not start (no listener) => exit(2).\n');
  const lb1 = startBalancerProcess(t, file);
  assert.equal(await lb1.exited, 1);
  assert.match(lb1.out(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:1: no listener.*\\[LBA_ERR_NO_LISTENER\\]`));

  // roles.yml naming a backend the proxy lacks: check's message, and the balancer does not start.
  writeFileSync(file, `frontends:\n  web: { bind: "127.0.0.1:${port}", default_backend: app }\nbackends:\n  app: { servers: [] }\nroles: roles.yml\ngossip: { bind: "127.0.0.1:${await freePort()}", profile: local }\n`);
  writeFileSync(join(dir, 'roles.yml'), 'roles:\n  web:\n    lb: [ghost]\n');
  const c2 = await check(file);
  assert.equal(c2.code, 1);
  const message = /(\S*roles\.yml:3:10: 'roles\.web\.lb\[0\]' unknown backend 'ghost'[^\n]*)/.exec(c2.stderr)?.[1];
  assert.ok(message, c2.stderr);
  const lb2 = startBalancerProcess(t, file);
  assert.equal(await lb2.exited, 1);
  assert.ok(lb2.out().includes(message), `the balancer says what check says:\n${lb2.out()}`);

  // With `proxy: haproxy`, HAProxy owns the listeners: no frontend is fine.
  writeFileSync(file, 'proxy: haproxy\nhaproxy: { socket: /run/haproxy/admin.sock, backends: { app: {} } }\n');
  const c3 = await check(file);
  assert.equal(c3.code, 0, c3.stderr);
});
