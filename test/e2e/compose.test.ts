// docker-compose.yml run for real, as a user runs it, with podman + podman-compose: the image built from the
// Dockerfile through compose, the cluster formed by `up`, traffic from the host through the published port,
// an app paused with `compose exec … lbagent event pause`, one stopped, one added, and `down`. No registry is
// needed: node:20-bookworm-slim is built offline when missing (scripts/container-base-image.sh, then cached).
// Skips with the install hint when podman is missing; under CI (CI=true) a missing tool fails instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { containerToolsMissing, mustRun, podmanEnv, run } from '../helpers/podman.js';
import { waitFor } from '../helpers/wait.js';

const missing = containerToolsMissing();
const skip = missing && !process.env.CI ? missing : false;

async function servedBy(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.text();
    return res.ok ? (res.headers.get('x-served-by') ?? undefined) : undefined;
  } catch {
    return undefined;
  }
}

/** Who serves the next `n` requests (a failed one counts as 'error'). */
async function servers(url: string, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await servedBy(url)) ?? 'error');
  return seen;
}

test('docker-compose.yml with podman-compose: built, balanced, paused, stopped, scaled out, torn down', { skip, timeout: 900_000 }, async (t) => {
  if (missing) throw new Error(`CI is set and the compose test cannot run: ${missing}`);
  // Removed by the cleanup below, last: podman without this run's containers.conf (netavark) cannot remove
  // what it created.
  const dir = mkdtempSync(join(tmpdir(), 'lbagent-compose-'));
  // This run's own project (containers, network, volume), image tag and host ports: other tests and other
  // people's demos on this machine are left alone.
  const project = `lbagentci${process.pid}`;
  const ports = { http: await freePort(), api: await freePort(), admin: await freePort(), stats: await freePort() };
  const env = podmanEnv(dir, {
    LBAGENT_IMAGE: 'localhost/lbagent:ci',
    LBAGENT_PUBLISH: '127.0.0.1',
    LBAGENT_HTTP_PORT: String(ports.http),
    LBAGENT_API_PORT: String(ports.api),
    LBAGENT_ADMIN_PORT: String(ports.admin),
    LBAGENT_STATS_PORT: String(ports.stats),
  });
  delete env.LBAGENT_ENCRYPT; // the demo generates its own secrets
  delete env.LBAGENT_ADMIN_TOKEN;
  const files = ['-f', 'docker-compose.yml', '-f', 'examples/compose/web-4.yml'];
  const compose = (args: string[], timeoutMs = 180_000) => mustRun('podman-compose', ['-p', project, ...args], { env, cwd: repoRoot, timeoutMs });
  const frontend = `http://127.0.0.1:${ports.http}/`;
  const timings: string[] = [];
  const took = (what: string, since: number) => {
    const line = `${what}: ${((Date.now() - since) / 1000).toFixed(1)} s`;
    timings.push(line);
    t.diagnostic(line);
  };

  t.after(async () => {
    // Whatever happened: the project's containers, volume and network go (podman-compose down keeps the network).
    await run('podman-compose', ['-p', project, ...files, 'down', '-v', '-t', '1'], { env, cwd: repoRoot, timeoutMs: 120_000 });
    const left = (await run('podman', ['ps', '-aq', '--filter', `label=io.podman.compose.project=${project}`], { env })).stdout.split('\n').filter(Boolean);
    if (left.length) await run('podman', ['rm', '-f', ...left], { env });
    await run('podman', ['volume', 'rm', '-f', `${project}_secrets`], { env });
    await run('podman', ['network', 'rm', '-f', `${project}_default`], { env });
    rmSync(dir, { recursive: true, force: true });
    console.log(`compose test timings:\n  ${timings.join('\n  ')}`);
  });

  let since = Date.now();
  await mustRun(join(repoRoot, 'scripts', 'container-base-image.sh'), [], { env, timeoutMs: 600_000 });
  took('base image node:20-bookworm-slim (cached after the first run)', since);
  since = Date.now();
  // every service runs this one image; podman-compose 1.0 exits 0 when the build fails, so look for the image
  const build = await run('podman-compose', ['-p', project, ...files, 'build', 'lb-1'], { env, cwd: repoRoot, timeoutMs: 600_000 });
  const built = await run('podman', ['image', 'exists', env.LBAGENT_IMAGE!], { env });
  assert.ok(build.code === 0 && built.code === 0, `the image was not built:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  took('image build from the Dockerfile (npm ci in the build)', since);

  // `compose up` to the first request balanced over the web apps.
  const upAt = Date.now();
  await compose(['up', '-d']);
  const seen = new Set<string>();
  await waitFor('a request through the published port', async () => {
    const who = await servedBy(frontend);
    if (who) seen.add(who);
    return who;
  }, { timeoutMs: 120_000, intervalMs: 200 });
  took('compose up to the first balanced request', upAt);
  await waitFor('all three web apps answer through the balancer', async () => {
    const who = await servedBy(frontend);
    if (who) seen.add(who);
    return ['web-1', 'web-2', 'web-3'].every((w) => seen.has(w));
  }, { timeoutMs: 60_000 });
  took('compose up to all three web apps in rotation', upAt);
  await waitFor('api-1 answers through the api frontend', async () => (await servedBy(`http://127.0.0.1:${ports.api}/`)) === 'api-1', { timeoutMs: 60_000 });

  // The admin API answers where compose publishes it, only with the token lb-1's log printed.
  const logs = await mustRun('podman', ['logs', `${project}_lb-1_1`], { env });
  const token = /LBAGENT_ADMIN_TOKEN=(\S+)/.exec(logs)?.[1];
  assert.ok(token, `lb-1 printed no generated admin token:\n${logs.slice(0, 2000)}`);
  const admin = `http://127.0.0.1:${ports.admin}`;
  assert.equal((await fetch(`${admin}/v1/stats`)).status, 401);
  const pool = async () => {
    const res = await fetch(`${admin}/v1/backends/web`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { servers: Array<{ name: string; status: string }> }).servers;
  };
  await waitFor('web pool: web-1..3 and api-1 (backup)', async () => (await pool()).map((s) => s.name).sort().join() === 'api-1,web-1,web-2,web-3', { timeoutMs: 30_000 });
  // The image's HEALTHCHECK passes on the balancer and on an app container.
  await mustRun('podman', ['healthcheck', 'run', `${project}_lb-1_1`], { env });
  await mustRun('podman', ['healthcheck', 'run', `${project}_web-1_1`], { env });

  // Pause web-1 from inside its container, with the default RPC address: it drains.
  since = Date.now();
  await compose(['exec', '-T', 'web-1', 'lbagent', 'event', 'pause']);
  await waitFor('web-1 drained', async () => (await pool()).find((s) => s.name === 'web-1')?.status === 'DRAIN', { timeoutMs: 30_000 });
  await waitFor('traffic only on web-2 and web-3', async () => {
    const s = await servers(frontend, 8);
    return s.size === 2 && s.has('web-2') && s.has('web-3');
  }, { timeoutMs: 30_000 });
  took('pause to web-1 out of rotation', since);

  // Stop web-2 (its agent leaves on SIGTERM) under a steady stream of requests: none fails.
  let sent = 0;
  const failed: string[] = [];
  let loading = true;
  const load = (async () => {
    while (loading) {
      sent++;
      try {
        const res = await fetch(frontend, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        if (res.status !== 200) failed.push(`HTTP ${res.status}`);
      } catch (err) {
        failed.push((err as Error).message);
      }
    }
  })();
  since = Date.now();
  await compose(['stop', 'web-2']);
  await waitFor('web-2 out of the pool', async () => !(await pool()).some((s) => s.name === 'web-2' && s.status === 'UP'), { timeoutMs: 30_000 });
  await waitFor('traffic only on web-3', async () => {
    const s = await servers(frontend, 6);
    return s.size === 1 && s.has('web-3');
  }, { timeoutMs: 30_000 });
  took('stop web-2 to out of rotation', since);
  loading = false;
  await load;
  assert.ok(sent > 10, `only ${sent} requests sent while web-2 stopped`);
  assert.deepEqual(failed, [], `${failed.length} of ${sent} requests failed while web-2 stopped`);
  t.diagnostic(`${sent} requests while web-2 stopped, none failed`);

  // Add web-4 to the running cluster (a service of its own in a second compose file).
  since = Date.now();
  await compose([...files, 'up', '-d', 'web-4']);
  await waitFor('web-4 in rotation', async () => (await servers(frontend, 4)).has('web-4'), { timeoutMs: 60_000 });
  took('up web-4 to in rotation', since);

  // down: nothing of the project is left (the network goes by hand: podman-compose 1.0 leaves it).
  since = Date.now();
  await compose([...files, 'down', '-v', '-t', '2']);
  await mustRun('podman', ['network', 'rm', '-f', `${project}_default`], { env });
  took('down', since);
  const left = await mustRun('podman', ['ps', '-aq', '--filter', `label=io.podman.compose.project=${project}`], { env });
  assert.equal(left.trim(), '', 'containers left after down');
  assert.equal((await run('podman', ['network', 'exists', `${project}_default`], { env })).code, 1, 'network left after down');
  assert.equal(await servedBy(frontend), undefined);
});
