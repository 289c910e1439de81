// The controller: MemberSource in, PoolDriver out. Every event only marks the picture dirty; a debounced,
// serialised run (p-queue, concurrency 1) recomputes the desired pools from scratch and applies what differs.
// A burst of events therefore costs a handful of applications, and two never run at once against one driver.
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { MemberSource, MemberSourceEvent, MemberStatus } from '../interfaces/index.js';
import type { PoolDriver } from '../interfaces/index.js';
import { desiredPools, toSpec, type DesiredOptions, type DesiredServer, type ObservedMember } from './desired.js';
import { matchPauseTarget, PauseBook } from './pauses.js';
import { loadPauseFile, savePauseFile } from './pause-store.js';
import type { RolesConfig } from './roles.js';
import { errorMessage } from '../errors/index.js';
import { Buckets } from '../metrics/index.js';
import { formatDuration } from '../config/index.js';

export interface ControllerOptions {
  pauseState: 'drain' | 'maint';
  failedGraceMs: number;
  leaveGraceMs: number;
  /** recompute and re-apply even with no event, to repair drift (ms; 0 = never) */
  resyncMs: number;
  /** wait this long after the last event before applying (restarted by each event) */
  quiescentMs?: number;
  /** but never longer than this after the first event of a burst */
  quantumMs?: number;
  defaultPort?: number;
  /** each backend's own port, for servers from roles (DesiredOptions.backendPorts) */
  backendPorts?: ReadonlyMap<string, number>;
  /** fail static above this share (%) of a pool's members failed in gossip (desired.ts); false: never */
  failStaticPct?: number | false;
  /** keep the pause book in this file (next to the serf snapshot) so pauses survive a restart */
  pauseFile?: string;
}

export const CONTROLLER_DEFAULTS: ControllerOptions = {
  pauseState: 'drain',
  failedGraceMs: 30_000,
  leaveGraceMs: 10_000,
  resyncMs: 30_000,
  failStaticPct: 50,
  quiescentMs: 50,
  quantumMs: 250,
};

export interface ControllerStats {
  /** runs that computed the desired pools */
  recomputes: number;
  /** setServers calls made */
  applications: number;
  /** setServers calls that failed (retried on the next run) */
  applyErrors: number;
  /** user events that were not pause/resume or named no node */
  ignoredEvents: number;
  /** roles applied in place (roles.yml saved, a reload), and roles.yml saves refused (the last good roles stayed) */
  rolesAccepted: number;
  rolesRefused: number;
  /** how long each run took, from the recompute to the last backend applied (ms) */
  applyTime: Buckets;
  /** per managed backend: servers whose desired state the data plane does not have yet (a failed apply; 0 when in step) */
  pending: Map<string, number>;
}

export class Controller {
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly pauses = new PauseBook();
  private readonly inFailStatic = new Set<string>();
  private readonly statusSince = new Map<string, { status: MemberStatus; since: number }>();
  /** what each managed backend was last successfully set to */
  private readonly applied = new Map<string, DesiredServer[]>();
  private readonly warnedRoles = new Set<string>();
  private readonly warnedBackends = new Set<string>();
  private unsubscribe?: () => void;
  private quiescentTimer?: NodeJS.Timeout;
  private quantumTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private queued = false;
  private stopped = false;
  /** the next run re-applies every managed backend even if unchanged here (drift repair, data plane reset) */
  private forceNext = false;
  readonly stats: ControllerStats = { recomputes: 0, applications: 0, applyErrors: 0, ignoredEvents: 0, rolesAccepted: 0, rolesRefused: 0, applyTime: new Buckets(), pending: new Map() };
  private readonly opts: ControllerOptions;

  constructor(
    private readonly source: MemberSource,
    private readonly driver: PoolDriver,
    private roles: RolesConfig,
    private readonly log: Logger,
    opts: Partial<ControllerOptions> = {},
  ) {
    this.opts = { ...CONTROLLER_DEFAULTS, ...opts };
  }

  /** Subscribe and apply the first picture; resolves once it is applied. */
  async start(): Promise<void> {
    if (this.opts.pauseFile) {
      const kept = loadPauseFile(this.opts.pauseFile, this.log);
      this.pauses.restore(kept);
      const paused = [...kept].filter(([, r]) => r.paused).map(([n]) => n);
      if (kept.size) this.log.info({ file: this.opts.pauseFile, paused }, `pause state restored: ${paused.length ? `paused ${paused.join(', ')}` : 'none paused'}`);
    }
    this.unsubscribe = this.source.subscribe((e) => this.onEvent(e));
    this.startResync();
    await this.reconcileNow();
  }

  private startResync(): void {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    if (this.opts.resyncMs <= 0 || this.stopped) return;
    this.resyncTimer = setInterval(() => {
      this.forceNext = true;
      this.schedule(true);
    }, this.opts.resyncMs);
    this.resyncTimer.unref();
  }

  /** `controller:` settings from a reload: graces and pause state count from the next run; resync restarts. */
  setOptions(opts: Pick<ControllerOptions, 'pauseState' | 'failedGraceMs' | 'leaveGraceMs' | 'resyncMs' | 'failStaticPct' | 'backendPorts'>): void {
    const resyncChanged = opts.resyncMs !== this.opts.resyncMs;
    Object.assign(this.opts, opts);
    if (resyncChanged && this.unsubscribe) this.startResync();
    this.schedule(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of [this.quiescentTimer, this.quantumTimer, this.graceTimer, this.resyncTimer]) if (t) clearTimeout(t);
    await this.queue.onIdle();
  }

  /** roles.yml changed (already validated): apply in place. */
  setRoles(roles: RolesConfig): void {
    this.roles = roles;
    this.stats.rolesAccepted++;
    this.warnedRoles.clear();
    this.schedule(true);
  }

  /** The data plane was reset (e.g. its config reloaded): forget what was applied and apply everything again. */
  resync(): void {
    this.forceNext = true;
    this.schedule(true);
  }

  /** Recompute and apply now (after anything queued); resolves when done. */
  reconcileNow(): Promise<void> {
    return this.queue.add(() => this.run());
  }

  /** Resolves when no run is queued or running. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** The desired servers last applied, per backend (for `lbagent servers` reasons). */
  appliedPools(): ReadonlyMap<string, readonly DesiredServer[]> {
    return this.applied;
  }

  private onEvent(e: MemberSourceEvent): void {
    if (e.type === 'user') {
      const r = this.pauses.onUserEvent(e.name, e.payload, e.ltime);
      if (!r.applied) {
        if (e.name === 'pause' || e.name === 'resume') this.log.warn({ event: e.name, ltime: e.ltime }, `user event '${e.name}' ignored: ${r.why}`);
        this.stats.ignoredEvents++;
        return;
      }
      const what = `${r.paused ? 'pause' : 'resume'} ${r.node} (ltime ${e.ltime}${e.replayed ? ', replayed' : ''})`;
      const target = matchPauseTarget(r.node, this.source.members().map((m) => m.name));
      if ('member' in target) {
        this.log.info({ node: r.node, member: target.member, ltime: e.ltime, replayed: e.replayed }, target.exact ? what : `${what}: applies to member ${target.member} (names compared ignoring case)`);
      } else {
        // kept: the member may join later; said now, since a typo would otherwise pause nothing in silence
        const close = target.close.length ? `; close names: ${target.close.join(', ')}` : '';
        this.log.warn({ node: r.node, ltime: e.ltime, replayed: e.replayed, close: target.close }, `${what}: no member is named ${r.node}${close}`);
      }
      // Saved before the snapshot's event-clock can pass this event (it is written up to 500 ms later).
      if (this.opts.pauseFile) savePauseFile(this.opts.pauseFile, this.pauses.view(), this.log);
    }
    this.schedule(false);
  }

  /** Debounce like serf's coalescer: a quiescent timer restarted by each event, bounded by a quantum. */
  private schedule(immediate: boolean): void {
    if (this.stopped) return;
    const fire = () => {
      if (this.quiescentTimer) clearTimeout(this.quiescentTimer);
      if (this.quantumTimer) clearTimeout(this.quantumTimer);
      this.quiescentTimer = this.quantumTimer = undefined;
      if (this.queued || this.stopped) return; // a queued run will read the latest state anyway
      this.queued = true;
      void this.queue.add(() => this.run());
    };
    if (immediate) return fire();
    if (this.quiescentTimer) clearTimeout(this.quiescentTimer);
    this.quiescentTimer = setTimeout(fire, this.opts.quiescentMs ?? 50);
    this.quantumTimer ??= setTimeout(fire, this.opts.quantumMs ?? 250);
  }

  private observe(now: number): ObservedMember[] {
    const out: ObservedMember[] = [];
    const seen = new Set<string>();
    for (const m of this.source.members()) {
      seen.add(m.name);
      let rec = this.statusSince.get(m.name);
      if (!rec || rec.status !== m.status) {
        rec = { status: m.status, since: now };
        this.statusSince.set(m.name, rec);
      }
      out.push({ ...m, since: rec.since });
    }
    for (const name of this.statusSince.keys()) if (!seen.has(name)) this.statusSince.delete(name);
    return out;
  }

  /** Which servers pass their health checks now, asked of the data plane only while some member is failed. */
  private async failStaticInput(members: readonly ObservedMember[]): Promise<DesiredOptions['failStatic']> {
    const pct = this.opts.failStaticPct ?? CONTROLLER_DEFAULTS.failStaticPct;
    if (pct === false || pct === undefined || !members.some((m) => m.status === 'failed')) return undefined;
    const passing = new Set<string>();
    try {
      for (const b of await this.driver.snapshot()) for (const s of b.servers) if (s.check.status === 'passed') passing.add(`${b.name}/${s.name}`); // in maint too: its last check
    } catch (err) {
      this.log.warn({ err }, `fail static: cannot read the servers' health from the data plane: ${errorMessage(err)}`);
    }
    return { pct, passing };
  }

  /** One line when a backend enters fail static and one when it leaves it. */
  private logFailStatic(now: ReadonlyMap<string, { failed: number; of: number; kept: number }>): void {
    for (const [backend, f] of now) {
      if (this.inFailStatic.has(backend)) continue;
      this.inFailStatic.add(backend);
      this.log.warn({ backend, failed: f.failed, of: f.of, kept: f.kept }, `${backend}: fail static: ${f.failed} of ${f.of} members failed in gossip at once; keeping the ${f.kept} that pass their health checks in rotation (a partition between this balancer and the cluster looks like this)`);
    }
    for (const backend of this.inFailStatic) {
      if (now.has(backend)) continue;
      this.inFailStatic.delete(backend);
      this.log.info({ backend }, `${backend}: fail static over: gossip and the pool agree again`);
    }
  }

  private async run(): Promise<void> {
    this.queued = false;
    if (this.stopped) return;
    const force = this.forceNext;
    this.forceNext = false;
    this.stats.recomputes++;
    const now = Date.now();
    try {
      await this.recompute(force, now);
    } finally {
      this.stats.applyTime.record(Date.now() - now);
    }
  }

  /** Members paused now (by a `pause` event not yet resumed), for /metrics. */
  pausedCount(): number {
    let n = 0;
    for (const r of this.pauses.view().values()) if (r.paused) n++;
    return n;
  }

  private async recompute(force: boolean, now: number): Promise<void> {
    let known: Set<string>;
    try {
      known = new Set(await this.driver.backends());
    } catch (err) {
      this.log.error({ err }, `cannot list the data plane's backends: ${errorMessage(err)}; retrying`);
      this.retryLater();
      return;
    }
    const observed = this.observe(now);
    const result = desiredPools(observed, this.pauses.view(), this.roles, {
      localName: this.source.localName(),
      pauseState: this.opts.pauseState,
      failedGraceMs: this.opts.failedGraceMs,
      leaveGraceMs: this.opts.leaveGraceMs,
      defaultPort: this.opts.defaultPort,
      backendPorts: this.opts.backendPorts,
      knownBackends: known,
      failStatic: await this.failStaticInput(observed),
    }, now);
    this.logFailStatic(result.failStatic);

    for (const r of result.unknownRoles) {
      if (this.warnedRoles.has(r)) continue;
      this.warnedRoles.add(r);
      this.log.warn({ role: r }, `role '${r}' is not in roles.yml: its members are ignored`);
    }
    for (const b of result.unknownBackends) {
      if (this.warnedBackends.has(b)) continue;
      this.warnedBackends.add(b);
      this.log.warn({ backend: b }, `roles.yml names backend '${b}', which the proxy does not have: ignored`);
    }

    // Backends no longer named by roles.yml are emptied once, then no longer managed.
    for (const name of this.applied.keys()) if (!result.pools.has(name) && known.has(name)) result.pools.set(name, []);

    let failed = false;
    for (const [backend, servers] of result.pools) {
      const before = this.applied.get(backend);
      // The driver applies a list in place and ignores what is already so: a forced run costs no churn.
      if (before && sameList(before, servers) && !force) continue;
      try {
        this.stats.applications++;
        // the backend's static servers stay beside those from roles, in both data planes
        await this.driver.setServers(backend, servers.map(toSpec), { keepStatic: true });
      } catch (err) {
        this.stats.applyErrors++;
        this.stats.pending.set(backend, describeChanges(backend, before ?? [], servers).length);
        failed = true;
        this.log.error({ backend, err }, `${backend}: applying the server list failed: ${errorMessage(err)}; retrying`);
        continue;
      }
      for (const line of describeChanges(backend, before ?? [], servers)) this.log.info({ backend }, line);
      this.stats.pending.set(backend, 0);
      if (servers.length === 0 && !hasRef(this.roles, backend)) {
        this.applied.delete(backend);
        this.stats.pending.delete(backend);
      }
      else this.applied.set(backend, servers);
    }
    if (failed) {
      this.forceNext ||= force;
      this.retryLater();
    }

    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (result.nextChangeAt !== undefined && !this.stopped) {
      this.graceTimer = setTimeout(() => this.schedule(true), Math.max(0, result.nextChangeAt - Date.now()) + 5);
      this.graceTimer.unref();
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    const t = setTimeout(() => this.schedule(true), 1000);
    t.unref();
  }
}

function hasRef(roles: RolesConfig, backend: string): boolean {
  return Object.values(roles.roles).some((r) => [...(r.lb ?? []), ...(r.monitor ?? [])].some((ref) => ref.backend === backend));
}

function sameList(a: readonly DesiredServer[], b: readonly DesiredServer[]): boolean {
  return a.length === b.length && a.every((s, i) => sameServer(s, b[i]!));
}

/** Equal for the data plane, reason included (it changes only with the state, so `lbagent servers` stays true). */
function sameServer(a: DesiredServer, b: DesiredServer): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One readable line per server that changed: `web: +web-03 10.0.0.13:80 (join)`, `web: ~web-02 drain (pause)`. */
export function describeChanges(backend: string, before: readonly DesiredServer[], after: readonly DesiredServer[]): string[] {
  const lines: string[] = [];
  const prev = new Map(before.map((s) => [s.name, s]));
  const next = new Map(after.map((s) => [s.name, s]));
  for (const s of after) {
    const p = prev.get(s.name);
    if (!p) {
      const state = s.state && s.state !== 'ready' ? ` ${s.state}` : '';
      const mon = s.monitorOnly ? ' monitor' : '';
      lines.push(`${backend}: +${s.name} ${hostPort(s)}${state}${mon} (${s.cause})`);
      continue;
    }
    const what = serverDifferences(p, s);
    if (what.length) lines.push(`${backend}: ~${s.name} ${what.join(', ')} (${changeCause(p, s)})`);
  }
  for (const p of before) {
    if (next.has(p.name)) continue;
    const cause = p.cause === 'join' || p.cause === 'pause' || p.cause === 'source' ? 'role' : p.cause;
    lines.push(`${backend}: -${p.name} (${cause})`);
  }
  return lines;
}

/** What changed on a server that stays, in the words of `lbagent servers`. */
function serverDifferences(p: DesiredServer, s: DesiredServer): string[] {
  const what: string[] = [];
  if (p.addr !== s.addr || p.port !== s.port) what.push(hostPort(s));
  if ((p.state ?? 'ready') !== (s.state ?? 'ready')) what.push(s.state ?? 'ready');
  if ((p.weight ?? 1) !== (s.weight ?? 1)) what.push(`weight ${s.weight ?? 1}`);
  if (Boolean(p.backup) !== Boolean(s.backup)) what.push(s.backup ? 'backup' : 'not backup');
  if (Boolean(p.monitorOnly) !== Boolean(s.monitorOnly)) what.push(s.monitorOnly ? 'monitor only' : 'in rotation');
  if (JSON.stringify(p.check) !== JSON.stringify(s.check)) what.push('check settings');
  if (p.slowstart !== s.slowstart) what.push(s.slowstart === undefined ? 'backend slowstart' : `slowstart ${formatDuration(s.slowstart)}`);
  return what;
}

/** A server that joined again after a pause resumes; one that was there and is still in the role was updated. */
function changeCause(p: DesiredServer, s: DesiredServer): string {
  if (s.cause !== 'join') return s.cause;
  return (p.state ?? 'ready') !== 'ready' ? 'resume' : 'update';
}

function hostPort(s: { addr: string; port: number }): string {
  return s.addr.includes(':') ? `[${s.addr}]:${s.port}` : `${s.addr}:${s.port}`;
}
