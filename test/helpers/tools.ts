// External programs the tests drive (Debian packages: serf, HAProxy, openssl, Chromium, iproute2 …).
// On a developer's machine a test whose program is missing is skipped with the install hint, so `npm ci && npm test`
// passes with only Node installed; under CI (CI=true, set by .ci/run) a missing program fails the test instead,
// so an install step that was skipped or broke cannot hide behind a row of skips.
//
//   test('…', async (t) => {
//     if (!needTool(t, 'serf')) return;        // skipped here (or thrown under CI) with "apt-get install serf"
//     …
//   });
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { spawnSync } from 'node:child_process';

interface ToolInfo {
  /** names looked up on PATH, first found wins */
  names: string[];
  /** the Debian package that provides it */
  pkg: string;
}

const TOOLS: Record<string, ToolInfo> = {
  serf: { names: ['serf'], pkg: 'serf' },
  haproxy: { names: ['haproxy'], pkg: 'haproxy' },
  openssl: { names: ['openssl'], pkg: 'openssl' },
  chromium: { names: ['chromium', 'chromium-browser', 'google-chrome'], pkg: 'chromium' },
  tcpdump: { names: ['tcpdump'], pkg: 'tcpdump' },
  ip: { names: ['ip'], pkg: 'iproute2' },
  valgrind: { names: ['valgrind'], pkg: 'valgrind' },
  podman: { names: ['podman'], pkg: 'podman' },
  'podman-compose': { names: ['podman-compose'], pkg: 'podman-compose' },
  wine: { names: ['wine'], pkg: 'wine wine64' },
  keepalived: { names: ['keepalived'], pkg: 'keepalived' },
  curl: { names: ['curl'], pkg: 'curl' },
  dnsmasq: { names: ['dnsmasq'], pkg: 'dnsmasq-base' },
  iptables: { names: ['iptables'], pkg: 'iptables' },
  'systemd-analyze': { names: ['systemd-analyze'], pkg: 'systemd' },
  'systemd-nspawn': { names: ['systemd-nspawn'], pkg: 'systemd-container' },
  debootstrap: { names: ['debootstrap'], pkg: 'debootstrap' },
  prometheus: { names: ['prometheus'], pkg: 'prometheus' },
};

type Env = Record<string, string | undefined>;

/** CI=true (or any value but "", "0", "false"): a missing program fails the test instead of skipping it. */
export function underCi(env: Env = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** The install hint for a program the tests use. */
export function installHint(tool: string): string {
  return `apt-get install ${TOOLS[tool]?.pkg ?? tool}`;
}

/** The program's path, looked up on PATH as a spawn would (so a PATH that hides it hides it here too), or undefined. */
export function findTool(tool: string, env: Env = process.env): string | undefined {
  const names = TOOLS[tool]?.names ?? [tool];
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '' && isAbsolute(d));
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

interface SkipContext {
  skip(message?: string): void;
}

/**
 * A condition the test cannot run without: true if `missing` is undefined; otherwise the test is skipped with
 * `missing` (false is returned: the test returns at once), or under CI an Error saying so is thrown.
 */
export function needCondition(t: SkipContext, missing: string | undefined, { env = process.env }: { env?: Env } = {}): boolean {
  if (missing === undefined) return true;
  if (underCi(env)) throw new Error(`${missing} — CI=true, so this fails instead of skipping (CI must provide what the tests need: see .ci/run)`);
  t.skip(missing);
  return false;
}

/**
 * The program's path if it is installed. If not: the test is skipped with the install hint (the caller returns on
 * undefined), or under CI=true an Error with the hint is thrown so the run fails.
 */
export function needTool(t: SkipContext, tool: string, { hint = installHint(tool), env = process.env }: { hint?: string; env?: Env } = {}): string | undefined {
  const path = findTool(tool, env);
  if (path !== undefined) return path;
  needCondition(t, `${tool} is not installed (${hint})`, { env });
  return undefined;
}

/**
 * For helpers (serf agents, certificates) that spawn a program: throws with the install hint when it is missing,
 * instead of a bare `spawn serf ENOENT`. Tests call needTool first, so locally they skip before getting here.
 */
export function requireTool(tool: string, hint = installHint(tool)): string {
  const path = findTool(tool);
  if (path === undefined) throw new Error(`${tool} is not installed (${hint})`);
  return path;
}

/**
 * Network namespaces (`ip netns`): needs iproute2 and root (CI runs as root), and a kernel/container that allows
 * creating one (probed). Skips with the reason, or fails under CI.
 */
export function needNetns(t: SkipContext, { env = process.env }: { env?: Env } = {}): boolean {
  if (!needTool(t, 'ip', { env })) return false;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return needCondition(t, 'network namespaces need root (`ip netns add` as root; CI runs as root)', { env });
  }
  const probe = `lbagent-probe-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { env: { ...process.env, ...env } });
  if (r.status !== 0) {
    return needCondition(t, `ip netns is not available here (${String(r.stderr ?? '').trim() || r.error?.message}); it needs root and a kernel/container that allows network namespaces`, { env });
  }
  spawnSync('ip', ['netns', 'del', probe], { env: { ...process.env, ...env } });
  return true;
}
