// The controller's two data planes for its table of scenarios: the built-in proxy, and a real HAProxy (Debian's)
// through the HAProxy driver. Both have a frontend `main` in front of backends `web` and `api` (roundrobin), and,
// when asked, a frontend `side` in front of backend `mixed`, which lists one static server of its own.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { HaproxyDriver } from '../../src/drivers/haproxy/driver.js';
import type { PoolDriver } from '../../src/interfaces/pool-driver.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { startProxy } from '../proxy/fixtures.js';

export interface DataPlane {
  driver: PoolDriver;
  /** the frontend `main`'s port */
  port: number;
  /** the frontend `side`'s port (with `staticPort`) */
  sidePort?: number;
  /** Remove a server behind the controller's back (drift it must repair). */
  dropBehindItsBack(backend: string, server: string): Promise<void>;
  /** Stop it (after the controller: also done when the test ends). */
  stop(): Promise<void>;
}

export type DataPlaneKind = 'builtin' | 'haproxy';
export const DATA_PLANES: readonly DataPlaneKind[] = ['builtin', 'haproxy'];

const PROXY = `
frontends:
  main:
    bind: 127.0.0.1:0
    default_backend: web
backends:
  web: { balance: roundrobin, grace: 5s }
  api: { balance: roundrobin }
`;

/** Starts the data plane, stopped when `t` ends; undefined when HAProxy is missing (skipped locally, fails under CI). */
/** `staticPort`: add backend `mixed` with static server `static-1` at 127.0.0.1:staticPort, behind frontend `side`. */
export async function startDataPlane(t: TestContext, kind: DataPlaneKind, opts: { staticPort?: number } = {}): Promise<DataPlane | undefined> {
  const sp = opts.staticPort;
  if (kind === 'builtin') {
    const mixed = sp === undefined ? '' : `
  mixed: { balance: roundrobin, servers: [{ name: static-1, addr: "127.0.0.1:${sp}" }] }
`;
    const side = sp === undefined ? '' : `
  side: { bind: 127.0.0.1:0, default_backend: mixed }
`;
    const proxy = await startProxy(PROXY.replace('backends:\n', `${side}backends:\n`) + mixed);
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= proxy.stop());
    t.after(stop);
    return {
      stop,
      driver: proxy.proxy,
      port: proxy.port('main'),
      sidePort: sp === undefined ? undefined : proxy.port('side'),
      dropBehindItsBack: async (backend, server) => {
        const kept = (await proxy.proxy.snapshot()).find((b) => b.name === backend)!.servers.filter((s) => s.name !== server);
        await proxy.proxy.setServers(backend, kept.map((s) => ({ name: s.name, addr: s.addr, port: s.port, weight: s.weight, state: s.admin })));
      },
    };
  }
  if (!needTool(t, 'haproxy')) return undefined;
  const dir = tempDir(t, 'lbagent-ctl-haproxy-');
  const socket = join(dir, 'admin.sock');
  const port = await freePort();
  const sidePort = sp === undefined ? undefined : await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global',
    `    stats socket ${socket} mode 600 level admin`,
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    'frontend main',
    `    bind 127.0.0.1:${port}`,
    '    default_backend web',
    'backend web',
    '    balance roundrobin',
    'backend api',
    '    balance roundrobin',
    ...(sp === undefined ? [] : ['frontend side', `    bind 127.0.0.1:${sidePort}`, '    default_backend mixed', 'backend mixed', '    balance roundrobin', `    server static-1 127.0.0.1:${sp}`]),
    '',
  ].join('\n'));
  const haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  // the driver's own periodic reconcile is not started: what repairs drift here is the controller's resync
  const driver = new HaproxyDriver({ socket, haproxyConfig: cfg, graceMs: 5000, check: { inter: 200, rise: 1, fall: 1 } }, silentLogger);
  const stop = async () => {
    driver.stop();
    haproxy.kill('SIGKILL');
  };
  t.after(stop);
  await waitFor('haproxy answers on its runtime API', async () => (await driver.backends().catch((): string[] => [])).includes('web'), { timeoutMs: 20_000 });
  return {
    driver,
    port,
    sidePort,
    stop,
    dropBehindItsBack: async (backend, server) => {
      await driver.api.raw(`set server ${backend}/${server} state maint`);
      await driver.api.raw(`del server ${backend}/${server}`);
    },
  };
}
