// keepalived (Debian's 2.2.7) on a namespace host of test/helpers/netns.ts: one VRRP instance holding a virtual
// IP on the host's eth0, with a vrrp_script health check. keepalived runs in the foreground (-n), logging to its
// stdout (-l -D), with pid files of its own, so several run on one machine (one per namespace).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from './netns.js';

export interface VrrpOptions {
  /** the virtual IP, on the hosts' /24 */
  vip: string;
  /** 1-255; the higher holds the VIP */
  priority: number;
  /** the check keepalived runs (as root: script_security): exit 0 = healthy */
  checkScript: string;
  /** seconds between checks (vrrp_script interval) */
  interval?: number;
  /** failed checks before the instance goes to FAULT (vrrp_script fall) */
  fall?: number;
  /** passed checks before it is healthy again (vrrp_script rise) */
  rise?: number;
  /** seconds between VRRP adverts */
  advertInt?: number;
  /** keep the VIP where it is when a higher priority comes back (needs state BACKUP on both) */
  nopreempt?: boolean;
  virtualRouterId?: number;
}

export interface Keepalived {
  out(): string;
  /** true while this host has the VIP on its eth0 */
  holdsVip(): Promise<boolean>;
  stop(): void;
}

/**
 * When the VIP appeared on `host` (`ip monitor address` in its namespace, read as it happens): the instant the
 * client's packets start going to that host.
 */
export function watchVipArrival(host: Host, vip: string): { addedAt(): number | undefined; stop(): void } {
  const proc = host.spawn('ip', ['-o', '-4', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let addedAt: number | undefined;
  proc.stdout!.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (addedAt === undefined && line.includes(` ${vip}/`) && !line.startsWith('Deleted')) addedAt = Date.now();
  });
  return { addedAt: () => addedAt, stop: () => void proc.kill('SIGKILL') };
}

/**
 * A request cut by the VIP's move itself: its connection was opened to the old holder before the move and was
 * still open after it. From the move on, the client's packets reach the new holder, which resets a connection it
 * does not have, and the old holder can no longer send from the VIP, so the client waits for an answer that cannot
 * come (a timeout). No balancer can save such a request (that would take connection sync between the hosts);
 * anything else failing in a planned stop is the balancer's. `slackMs`: how late the move may have been seen
 * (`ip monitor` read by a busy test process).
 */
export function cutByVipMove(f: { at: number; failedAt: number; why: string }, movedAt: number, slackMs = 500): boolean {
  return f.at <= movedAt + 50 && f.failedAt >= movedAt - slackMs;
}

/** The keepalived.conf for one host of the pair (the same shape as examples/keepalived/). */
export function keepalivedConf(o: VrrpOptions): string {
  return [
    'global_defs {',
    '  script_user root',
    '  enable_script_security',
    '}',
    'vrrp_script chk_lb {',
    `  script "${o.checkScript}"`,
    `  interval ${o.interval ?? 1}`,
    `  fall ${o.fall ?? 2}`,
    `  rise ${o.rise ?? 2}`,
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${o.virtualRouterId ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
    ...(o.nopreempt ? ['  nopreempt'] : []),
    `  virtual_ipaddress { ${o.vip}/24 dev eth0 }`,
    '  track_script { chk_lb }',
    '}',
    '',
  ].join('\n');
}

/** Starts keepalived with a conf made from `o`, or with the text of one (examples/keepalived/) and the VIP in `o`. */
export function startKeepalived(host: Host, dir: string, o: VrrpOptions | { vip: string; confText: string }): Keepalived {
  const own = join(dir, `keepalived-${host.name}`);
  mkdirSync(own, { recursive: true });
  const conf = join(own, 'keepalived.conf');
  writeFileSync(conf, 'confText' in o ? o.confText : keepalivedConf(o));
  const proc = host.spawn('keepalived', ['-n', '-l', '-D', '-f', conf, '-p', join(own, 'ka.pid'), '-r', join(own, 'vrrp.pid'), '-c', join(own, 'chk.pid'), '--vrrp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return {
    out: () => out,
    holdsVip: async () => (await host.run('ip', ['-4', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(` ${o.vip}/`),
    stop: () => void proc.kill('SIGTERM'),
  };
}
