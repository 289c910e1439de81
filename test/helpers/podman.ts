// podman for tests, set up as deploy-testing.md says this kind of machine needs: runc and explicit ulimits (root
// lacks CAP_SYS_RESOURCE, crun refuses the hybrid cgroup layout), netavark (its aardvark-dns resolves compose
// service names) — all in a containers.conf named by CONTAINERS_CONF, never by editing /etc.
import { spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CONTAINER_PACKAGES = 'podman runc podman-compose debootstrap netavark aardvark-dns iptables';

export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Why container tests cannot run here (missing tools, not root), or undefined when they can. */
export function containerToolsMissing(): string | undefined {
  // iptables: netavark needs it for every container network (a build's RUN steps included)
  const missing = ['podman', 'podman-compose', 'debootstrap', 'runc', 'iptables'].filter((c) => !onPath(c));
  if (missing.length) return `${missing.join(', ')} not installed (apt-get install -y ${CONTAINER_PACKAGES})`;
  if (process.getuid?.() !== 0) return 'needs root (rootful podman; debootstrap builds the base image)';
  return undefined;
}

/** Writes the containers.conf and returns the environment that makes podman (and podman-compose) use it. */
export function podmanEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, [
    '[containers]',
    'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    '[engine]',
    'runtime = "runc"',
    '[network]',
    'network_backend = "netavark"',
    '',
  ].join('\n'));
  // BUILDAH_FORMAT=docker: the OCI image format has no HEALTHCHECK, and podman build would drop the Dockerfile's.
  return { ...process.env, CONTAINERS_CONF: conf, BUILDAH_FORMAT: 'docker', ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the test's event loop (it polls HTTP meanwhile). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** run(), failing with the command's output when it does not exit 0. */
export async function mustRun(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}
