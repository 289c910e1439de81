// Where the balancer keeps what must survive a restart (serf's snapshot, the pause book): systemd's
// $STATE_DIRECTORY when it sets one, /var/lib/lbagent as root, else the user's XDG state directory.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  if (uid === 0) return '/var/lib/lbagent';
  const xdg = env.XDG_STATE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'state'), 'lbagent');
}

/**
 * The balancer's default snapshot file: node name and gossip port in the name, so several balancers on one host
 * (the node name defaults to the host name) never share one. Characters a file name should not hold become `_`.
 */
export function defaultSnapshotPath(stateDir: string, node: string, port: number): string {
  const safe = node.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return join(stateDir, `${safe}-${port}.snapshot`);
}

/** The controller's pause book lives next to the snapshot it goes with. */
export function pauseFileFor(snapshotPath: string): string {
  return `${snapshotPath}.pauses`;
}
