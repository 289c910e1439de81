// Hosts as network namespaces, for tests of what a deployment across machines needs: each host has its own IP
// (10.214.ID.(10+i)/24, ID from this process's pid), its own loopback and its own port space, so default ports
// (7946, 7373, 9901, 80) and the default RPC address work on every host as on real machines. The hosts' `eth0`
// ends are plugged into a bridge that lives in a namespace of its own: the root namespace is not touched.
// Needs root (CAP_SYS_ADMIN) and iproute2: a test calls `needNetns(t)` (tools.ts) first, which skips with the
// reason (or fails under CI=true).
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { lbagentBin } from './paths.js';

const run = promisify(execFile);
let topologies = 0;

export interface Host {
  /** the name given to buildHosts */
  name: string;
  /** the namespace's name (for `ip netns exec`) */
  ns: string;
  /** this host's address on the shared network */
  ip: string;
  /** Start a long-running process on this host (it keeps its PID: ip execs the command); killed at teardown. */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** Start `lbagent ARGS` on this host, its output kept for `out()`. */
  lbagent(args: string[], opts?: { env?: NodeJS.ProcessEnv }): LbagentProc;
  /** Run a command to completion on this host; rejects on a non-zero exit (the error has stdout and stderr). */
  run(cmd: string, args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }>;
  /** Unplug this host from the network (its link goes down), or plug it back. */
  cut(): void;
  heal(): void;
}

export interface LbagentProc {
  proc: ChildProcess;
  out(): string;
  exited(): boolean;
}

export interface Topology {
  hosts: Host[];
  /** the hosts by name */
  host(name: string): Host;
  /** Kill every process started on the hosts and remove the namespaces (also done when the test ends). */
  teardown(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/**
 * Build hosts named `names` on one network. Torn down when `t` ends (and when the process exits), also when
 * building fails half-way. Call needNetns(t) (tools.ts) first.
 */
export function buildHosts(t: Pick<TestContext, 'after'>, names: string[]): Topology {
  if (names.length > 200) throw new Error('at most 200 hosts');
  const id = process.pid % 250;
  const tag = `${process.pid}-${++topologies}`;
  const bridgeNs = `lbagent-br-${tag}`;
  const procs: ChildProcess[] = [];
  const namespaces: string[] = [];
  let down = false;

  const teardown = () => {
    if (down) return;
    down = true;
    process.off('exit', teardown);
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const ns of namespaces) {
      // whatever else still runs in the namespace was started by this test (a daemon that forked)
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
  };
  t.after(teardown);
  process.on('exit', teardown);

  const hosts: Host[] = [];
  try {
    ip('netns', 'add', bridgeNs);
    namespaces.push(bridgeNs);
    ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', bridgeNs, 'link', 'set', 'br0', 'up');
    names.forEach((name, i) => {
      const ns = `lbagent-${name}-${tag}`;
      const addr = `10.214.${id}.${10 + i}`;
      ip('netns', 'add', ns);
      namespaces.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // created inside the bridge's namespace, the host's end moved straight into the host: never in the root one
      const port = `p${i}`;
      ip('-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', bridgeNs, 'link', 'set', port, 'master', 'br0');
      ip('-n', bridgeNs, 'link', 'set', port, 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      const exec = (cmd: string, args: string[]) => ['netns', 'exec', ns, cmd, ...args];
      const host: Host = {
        name,
        ns,
        ip: addr,
        spawn(cmd, args, opts = {}) {
          const p = spawn('ip', exec(cmd, args), { stdio: 'ignore', ...opts });
          procs.push(p);
          return p;
        },
        lbagent(args, opts = {}) {
          const p = host.spawn(process.execPath, [lbagentBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
          let out = '';
          p.stdout!.on('data', (c) => (out += c));
          p.stderr!.on('data', (c) => (out += c));
          return { proc: p, out: () => out, exited: () => p.exitCode !== null || p.signalCode !== null };
        },
        run(cmd, args, opts = {}) {
          return run('ip', exec(cmd, args), { timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env } });
        },
        cut: () => ip('-n', ns, 'link', 'set', 'eth0', 'down'),
        heal: () => ip('-n', ns, 'link', 'set', 'eth0', 'up'),
      };
      hosts.push(host);
    });
  } catch (err) {
    teardown();
    throw err;
  }
  return {
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no host ${name}`);
      return h;
    },
    teardown,
  };
}
