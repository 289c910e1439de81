// The balancer's control plane in one process: a gossip node with role `lb`, the controller and the roles.yml
// watcher, driving whichever PoolDriver the data plane gave (built-in proxy or HAProxy driver).
import { isAbsolute, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { createSerf, nodeAddresses, type Serf } from '../gossip/index.js';
import type { MemberSource } from '../interfaces/index.js';
import type { PoolDriver } from '../interfaces/index.js';
import { gossipSettings } from '../controller/index.js';
import { backendPorts, type MainConfig } from '../main-config/index.js';
import { CONTROLLER_DEFAULTS, Controller } from '../controller/index.js';
import { GossipMemberSource } from '../controller/index.js';
import { registerControllerMetrics, watchRoles, type RolesWatcher } from '../controller/index.js';
import { registerGossipMetrics, type MetricsHub } from '../metrics/index.js';
import { loadRolesChecked, type BalancerFiles } from './validate.js';
import { defaultSnapshotPath, pauseFileFor } from './state-dir.js';
import { errorMessage } from '../errors/index.js';
import { mergeSources, registerSourceMetrics, startSources } from '../sources/index.js';
import { loadNodeServices, type NodeServices } from '../agent/index.js';
import { LogTap } from '../log/index.js';

/** What the command that starts the balancer adds to the gossip section. */
export interface ControlPlaneOptions {
  /** where the default snapshot goes */
  stateDir?: string;
  /** a relative `gossip.snapshot` is relative to the config file, as roles.yml */
  configDir?: string;
  /** `--event-handler` flags: run besides gossip.event_handlers (serf's flags add to its config files) */
  eventHandlers?: string[];
  /** the tap the logger writes to, for `serf monitor` / `lbagent monitor` on the balancer's RPC */
  logTap?: LogTap;
  /** `serf leave` / `lbagent leave` on the balancer's RPC: the balancer's stop sequence */
  onLeave?: () => Promise<void>;
  /** the admin API's /metrics: the gossip node's and the controller's families are added there */
  metrics?: MetricsHub;
}

export interface ControlPlane {
  controller: Controller;
  source: MemberSource;
  serf?: Serf;
  /** the balancer's event handlers and RPC address (agent/node-services.ts) */
  services?: NodeServices;
  /**
   * Apply a reload's files (validated): controller settings, gossip tags, the roles and which roles.yml is
   * watched. Gossip settings that need a restart are not applied here (see restart.ts).
   */
  reload(next: BalancerFiles): Promise<void>;
  /** Leave the cluster (so app servers see the balancer go) and stop the controller. */
  stop(opts?: { leave?: boolean }): Promise<void>;
}

/**
 * Start gossip + controller on `driver`, or return undefined when the config has no `roles` (static pools).
 * `stateDir`: where the default snapshot goes (`lbagent balancer` passes one; without it, only a configured
 * `gossip.snapshot` is kept). `configDir`: a relative `gossip.snapshot` is relative to the config file, as roles.yml.
 */
export async function startControlPlane(files: BalancerFiles, driver: PoolDriver, log: Logger, opts: ControlPlaneOptions = {}): Promise<ControlPlane | undefined> {
  if (files.roles === undefined) return undefined;
  let current = files;
  const clog = log.child({ part: 'controller' });

  const g = gossipSettings(files.config.gossip ?? {});
  const configured = g.snapshot && (isAbsolute(g.snapshot) ? g.snapshot : resolve(opts.configDir ?? '.', g.snapshot));
  const snapshot = g.snapshot === undefined ? (opts.stateDir ? defaultSnapshotPath(opts.stateDir, g.node, g.bind.port) : undefined) : configured || undefined;
  const handlerFlags = opts.eventHandlers ?? [];
  const { startNodeServices } = await loadNodeServices();
  // Consul and DNS first: their first answers are awaited, and nothing may be awaited once the gossip node exists.
  const extraSources = await startSources(files.config.sources, log, { configDir: opts.configDir });
  const stopSources = () => Promise.all(extraSources.map((s) => s.stop()));
  const serf = await createSerf({
    nodeName: g.node,
    ...nodeAddresses(g.bind, g.advertise),
    tags: g.tags,
    profile: g.profile,
    encryptKeys: g.encryptKeys,
    logger: log.child({ part: 'serf' }),
    // The app servers joined us and have no reason to call back after our leave: a balancer always rejoins the
    // members it knew (serf's rejoin_after_leave), so a restart gets its pools back with no one's help.
    snapshotPath: snapshot,
    rejoinAfterLeave: true,
  }).catch(async (err: unknown) => {
    await stopSources();
    throw err;
  });
  // Nothing awaits between the node's creation and these subscriptions: the snapshot's rejoin and the events it
  // replays reach the controller and the handlers.
  const services = startNodeServices(serf, {
    eventHandlers: [...g.eventHandlers, ...handlerFlags],
    rpcAddr: g.rpcAddr,
    rpcAuth: g.rpcAuth,
    rpcOptional: g.rpcDefault,
    onLeave: opts.onLeave ?? (() => serf.leave()),
  }, log.child({ part: 'agent' }), opts.logTap ?? new LogTap());
  const source = mergeSources(new GossipMemberSource(serf), extraSources);
  const controller = new Controller(source, driver, files.roles, clog, { ...controllerOptions(files.config), pauseFile: snapshot && pauseFileFor(snapshot) });
  await controller.start();
  if (opts.metrics) {
    registerGossipMetrics(opts.metrics, () => serf.stats());
    registerControllerMetrics(opts.metrics, () => controller);
    registerSourceMetrics(opts.metrics, extraSources);
  }
  try {
    await services.listen();
  } catch (err) {
    await controller.stop();
    await serf.shutdown();
    await services.close();
    await stopSources();
    throw err;
  }
  // roles.yml edits are checked as `lbagent check` would, against the backends running now.
  const follow = (rolesFile: string | undefined) =>
    rolesFile
      ? watchRoles(rolesFile, (next) => controller.setRoles(next), clog, (f) => loadRolesChecked(f, current.config), () => controller.stats.rolesRefused++)
      : undefined;
  let watcher: RolesWatcher | undefined = follow(files.rolesFile);

  if (g.join.length) {
    // Replay: pauses sent before this balancer started are learned from the others' event buffers.
    try {
      const n = await serf.join(g.join, true);
      log.info({ join: g.join }, `agent: joined: ${n} nodes`);
    } catch (err) {
      log.warn({ join: g.join, err }, `agent: error joining: ${errorMessage(err)} (will keep listening for members)`);
    }
  }
  return {
    controller,
    source,
    serf,
    services,
    async reload(next) {
      const prev = current;
      current = next;
      controller.setOptions(controllerOptions(next.config));
      services.setEventHandlers([...gossipSettings(next.config.gossip ?? {}).eventHandlers, ...handlerFlags]);
      const tags = gossipSettings(next.config.gossip ?? {}).tags;
      if (!isDeepStrictEqual(tags, gossipSettings(prev.config.gossip ?? {}).tags)) await serf.setTags(tags);
      if (next.rolesFile !== prev.rolesFile) {
        await watcher?.close();
        watcher = follow(next.rolesFile);
      }
      if (next.roles) controller.setRoles(next.roles);
      controller.resync(); // re-apply every pool (a reload keeps the servers from roles: this changes nothing unless drifted)
    },
    async stop({ leave = true } = {}) {
      await watcher?.close();
      await controller.stop();
      await stopSources();
      if (leave) {
        try {
          await serf.leave();
        } catch (err) {
          log.warn({ err }, `agent: error leaving: ${errorMessage(err)}`);
        }
      }
      await serf.shutdown();
      await services.close();
    },
  };
}

function controllerOptions(control: MainConfig) {
  const c = control.controller ?? {};
  return {
    pauseState: c.pause_state ?? CONTROLLER_DEFAULTS.pauseState,
    failedGraceMs: c.failed_grace ?? CONTROLLER_DEFAULTS.failedGraceMs,
    leaveGraceMs: c.leave_grace ?? CONTROLLER_DEFAULTS.leaveGraceMs,
    resyncMs: c.resync ?? CONTROLLER_DEFAULTS.resyncMs,
    failStaticPct: c.fail_static ?? CONTROLLER_DEFAULTS.failStaticPct,
    backendPorts: backendPorts(control),
  };
}
