// The balancer's control plane in one process: a gossip node with role `lb`, the controller and the roles.yml
// watcher, driving whichever PoolDriver the data plane gave (built-in proxy or HAProxy driver).
import type { Logger } from 'pino';
import { ConfigErrors } from '../config/index.js';
import type { Serf, SerfConfig } from '../gossip/serf/api.js';
import type { MemberSource } from '../interfaces/member-source.js';
import type { PoolDriver } from '../interfaces/pool-driver.js';
import { gossipSettings, rolesPath, type BalancerConfig } from './config.js';
import { CONTROLLER_DEFAULTS, Controller } from './controller.js';
import { GossipMemberSource } from './gossip-source.js';
import { loadRoles, type RolesConfig } from './roles.js';
import { watchRoles, type RolesWatcher } from './roles-watch.js';

export interface ControlPlane {
  controller: Controller;
  source: MemberSource;
  serf?: Serf;
  /** Leave the cluster (so app servers see the balancer go) and stop the controller. */
  stop(opts?: { leave?: boolean }): Promise<void>;
}

// Resolved at run time: the serf implementation is another part of the tree (src/gossip/serf/serf.ts).
const SERF_MODULE = '../gossip/serf/serf.js';

async function createSerf(config: SerfConfig): Promise<Serf> {
  let mod: { createSerf?: (c: SerfConfig) => Promise<Serf> };
  try {
    mod = (await import(SERF_MODULE)) as typeof mod;
  } catch (err) {
    throw new Error(`the gossip stack is not available in this build (${(err as Error).message})`);
  }
  if (typeof mod.createSerf !== 'function') throw new Error('the gossip stack does not export createSerf');
  return mod.createSerf(config);
}

/** Start gossip + controller on `driver`, or return undefined when the config has no `roles` (static pools). */
export async function startControlPlane(configFile: string, config: BalancerConfig, driver: PoolDriver, log: Logger): Promise<ControlPlane | undefined> {
  if (config.roles === undefined) return undefined;
  let roles: RolesConfig;
  let rolesFile: string | undefined;
  if (typeof config.roles === 'string') {
    rolesFile = rolesPath(configFile, config.roles);
    const r = loadRoles(rolesFile);
    if (!r.ok) throw new ConfigErrors(r.errors);
    roles = r.value;
  } else {
    roles = config.roles;
  }

  const g = gossipSettings(config.gossip ?? {});
  const serf = await createSerf({
    nodeName: g.node,
    bindAddr: g.bind.host,
    bindPort: g.bind.port,
    advertiseAddr: g.advertise?.host,
    advertisePort: g.advertise?.port,
    tags: g.tags,
    profile: g.profile,
    encryptKeys: g.encryptKeys,
    logger: log.child({ part: 'serf' }),
  });
  const source = new GossipMemberSource(serf);
  const c = config.controller ?? {};
  const controller = new Controller(source, driver, roles, log.child({ part: 'controller' }), {
    pauseState: c.pause_state ?? CONTROLLER_DEFAULTS.pauseState,
    failedGraceMs: c.failed_grace ?? CONTROLLER_DEFAULTS.failedGraceMs,
    leaveGraceMs: c.leave_grace ?? CONTROLLER_DEFAULTS.leaveGraceMs,
    resyncMs: c.resync ?? CONTROLLER_DEFAULTS.resyncMs,
  });
  await controller.start();
  let watcher: RolesWatcher | undefined;
  if (rolesFile) watcher = watchRoles(rolesFile, (next) => controller.setRoles(next), log.child({ part: 'controller' }));

  if (g.join.length) {
    // Replay: pauses sent before this balancer started are learned from the others' event buffers.
    try {
      const n = await serf.join(g.join, true);
      log.info({ join: g.join }, `agent: joined: ${n} nodes`);
    } catch (err) {
      log.warn({ join: g.join, err }, `agent: error joining: ${(err as Error).message} (will keep listening for members)`);
    }
  }
  return {
    controller,
    source,
    serf,
    async stop({ leave = true } = {}) {
      await watcher?.close();
      await controller.stop();
      if (leave) {
        try {
          await serf.leave();
        } catch (err) {
          log.warn({ err }, `agent: error leaving: ${(err as Error).message}`);
        }
      }
      await serf.shutdown();
    },
  };
}
