// The HAProxy driver: the controller's PoolDriver over HAProxy's runtime API. Pools change in the running
// HAProxy (dynamic servers: add / drain / maint / del, weights, states) and never by a reload; a periodic
// reconcile rebuilds what HAProxy lost (a restart drops dynamic servers) and removes what is no longer wanted.
import type { Logger } from 'pino';
import type { AdminState, ApplyResult, BackendView, PoolDriver, ServerSpec, ServerStatus, ServerView } from '../../interfaces/index.js';
import PQueue from 'p-queue';
import { RuntimeApi } from './runtime-api.js';
import { errorMessage, HaproxyRefused, isLbaError } from '../../errors/index.js';
import { adminOf, parseServersState, parseStat, readStaticServers, sanitizeName, type ServerState, type StatRow } from './state.js';
import { splitRuntimeAddr } from '../../net/index.js';

export interface HaproxyDriverOptions {
  /** the admin stats socket: a unix path or ipv4@host:port */
  socket: string;
  /**
   * backends lbagent may change; `managed: true` = every server is lbagent's (static ones are removed too);
   * `slowstart` (ms) for added servers whose spec has none
   */
  backends?: Record<string, { managed?: boolean; slowstart?: number }>;
  /** haproxy.cfg, to tell its static servers from lbagent's dynamic ones */
  haproxyConfig?: string;
  /** reconcile period (ms) */
  resyncMs?: number;
  /** how long a removed server may finish its sessions before they are shut down (ms) */
  graceMs?: number;
  /** default health-check settings for added servers */
  check?: { inter?: number; rise?: number; fall?: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export class HaproxyDriver implements PoolDriver {
  readonly kind = 'haproxy' as const;
  readonly api: RuntimeApi;
  private readonly desired = new Map<string, Map<string, ServerSpec>>();
  /** servers present before lbagent touched a backend (when no haproxy.cfg is given): static, left alone */
  private readonly seenStatic = new Map<string, Set<string>>();
  private readonly removing = new Set<string>();
  /** "backend/server" of discovered servers named like a static one (warned once) */
  private readonly shadowed = new Set<string>();
  private readonly serial = new PQueue({ concurrency: 1 });
  private timer?: NodeJS.Timeout;
  private backoffMs = 0;
  private stopped = false;

  constructor(private readonly opts: HaproxyDriverOptions, private readonly log: Logger) {
    this.api = new RuntimeApi(opts.socket);
  }

  /** Start the periodic reconcile (errors are logged and retried with backoff, never thrown). */
  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      let delay = this.opts.resyncMs ?? 10_000;
      try {
        await this.reconcileAll();
        this.backoffMs = 0;
      } catch (err) {
        this.backoffMs = Math.min(Math.max(500, this.backoffMs * 2), delay);
        delay = this.backoffMs;
        this.log.warn(`haproxy: reconcile failed, retrying in ${delay}ms: ${errorMessage(err)}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), delay);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async backends(): Promise<string[]> {
    const text = await this.api.raw('show backend');
    return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  }

  private staticNames(backend: string, actual: ServerState[]): Set<string> {
    if (this.opts.backends?.[backend]?.managed) return new Set();
    if (this.opts.haproxyConfig) return readStaticServers(this.opts.haproxyConfig).get(backend) ?? new Set();
    let seen = this.seenStatic.get(backend);
    if (!seen) {
      const wanted = this.desired.get(backend) ?? new Map();
      seen = new Set(actual.map((s) => s.name).filter((n) => !wanted.has(n)));
      this.seenStatic.set(backend, seen);
    }
    return seen;
  }

  async setServers(backend: string, servers: ServerSpec[]): Promise<ApplyResult> {
    this.desired.set(backend, new Map(servers.map((s) => [sanitizeName(s.name), { ...s, name: sanitizeName(s.name) }])));
    return this.reconcile(backend);
  }

  async setState(backend: string, server: string, state: AdminState): Promise<void> {
    const name = sanitizeName(server);
    const spec = this.desired.get(backend)?.get(name);
    if (spec) spec.state = state;
    await this.api.run(`set server ${backend}/${name} state ${state}`);
  }

  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    const name = sanitizeName(server);
    const spec = this.desired.get(backend)?.get(name);
    if (spec) spec.weight = weight;
    await this.api.run(`set server ${backend}/${name} weight ${weight}`);
  }

  async reconcileAll(): Promise<void> {
    for (const backend of this.desired.keys()) await this.reconcile(backend);
  }

  /** Make HAProxy's servers of one backend match the desired list (one reconcile at a time: never two against one HAProxy). */
  reconcile(backend: string): Promise<ApplyResult> {
    return this.serial.add(() => this.reconcileNow(backend)) as Promise<ApplyResult>;
  }

  private async reconcileNow(backend: string): Promise<ApplyResult> {
    const result: ApplyResult = { added: [], removed: [], changed: [] };
    const wanted = this.desired.get(backend) ?? new Map<string, ServerSpec>();
    const actual = parseServersState(await this.api.raw(`show servers state ${backend}`)).filter((s) => s.backend === backend);
    const statics = this.staticNames(backend, actual);
    const byName = new Map(actual.map((s) => [s.name, s]));

    for (const spec of [...wanted.values()]) {
      if (statics.has(spec.name)) {
        // as the built-in proxy: a static server keeps its name; the discovered one is not added
        wanted.delete(spec.name);
        if (!this.shadowed.has(`${backend}/${spec.name}`)) this.log.warn(`haproxy: ${backend}/${spec.name} is a static server of haproxy.cfg: kept as configured, the discovered one is not added`);
        this.shadowed.add(`${backend}/${spec.name}`);
        continue;
      }
      const cur = byName.get(spec.name);
      if (cur && (cur.addr !== spec.addr || cur.port !== spec.port)) {
        await this.remove(backend, spec.name, true);
        byName.delete(spec.name);
      }
      if (!byName.has(spec.name)) {
        await this.add(backend, spec);
        result.added.push(spec.name);
        continue;
      }
      const s = byName.get(spec.name)!;
      let changed = false;
      const weight = spec.monitorOnly ? 0 : spec.weight ?? 1;
      if (s.weight !== weight) {
        await this.api.run(`set server ${backend}/${spec.name} weight ${weight}`);
        changed = true;
      }
      const state = spec.state ?? 'ready';
      if (adminOf(s) !== state) {
        await this.api.run(`set server ${backend}/${spec.name} state ${state}`);
        changed = true;
      }
      if (changed) result.changed.push(spec.name);
    }
    for (const s of actual) {
      if (wanted.has(s.name) || statics.has(s.name) || this.removing.has(`${backend}/${s.name}`)) continue;
      result.removed.push(s.name);
      void this.remove(backend, s.name, false).catch((err: Error) => this.log.warn(`haproxy: removing ${backend}/${s.name}: ${err.message}`));
    }
    return result;
  }

  private async add(backend: string, spec: ServerSpec): Promise<void> {
    const check = spec.check?.enabled !== false;
    const c = { ...this.opts.check, ...spec.check };
    const parts = [`add server ${backend}/${spec.name} ${spec.addr.includes(':') ? `[${spec.addr}]` : spec.addr}:${spec.port}`, `weight ${spec.monitorOnly ? 0 : spec.weight ?? 1}`];
    if (spec.backup) parts.push('backup');
    // HAProxy ramps the server from `enable server` on, and again after each DOWN → UP; the runtime API cannot change
    // slowstart later, so a new value reaches servers added from then on.
    const slowstart = spec.slowstart ?? this.opts.backends?.[backend]?.slowstart;
    if (slowstart !== undefined && slowstart > 0) parts.push(`slowstart ${Math.max(1, Math.round(slowstart))}`);
    if (check) {
      parts.push('check');
      if (c.inter) parts.push(`inter ${Math.round(c.inter)}`);
      if (c.rise) parts.push(`rise ${c.rise}`);
      if (c.fall) parts.push(`fall ${c.fall}`);
      if (c.port) parts.push(`port ${c.port}`);
    }
    await this.api.run(parts.join(' '), /^New server registered\.$/);
    if (check) await this.api.run(`enable health ${backend}/${spec.name}`);
    // Dynamic servers are born in maintenance: put them in the wanted state.
    const state = spec.state ?? 'ready';
    if (state === 'ready') await this.api.run(`enable server ${backend}/${spec.name}`);
    else if (state === 'drain') await this.api.run(`set server ${backend}/${spec.name} state drain`);
    this.log.info(`haproxy: ${backend}: added server ${spec.name} ${spec.addr}:${spec.port} (${state})`);
  }

  /** drain → wait for sessions to end (up to the grace time) → maint → shut what is left → del. */
  private async remove(backend: string, name: string, immediate: boolean): Promise<void> {
    const key = `${backend}/${name}`;
    if (this.removing.has(key)) return;
    this.removing.add(key);
    try {
      const deadline = Date.now() + (immediate ? 0 : this.opts.graceMs ?? 10_000);
      await this.api.run(`set server ${key} state drain`).catch(() => {});
      while (Date.now() < deadline && (await this.sessions(backend, name)) > 0) await sleep(100);
      await this.api.run(`set server ${key} state maint`);
      if ((await this.sessions(backend, name)) > 0) await this.api.run(`shutdown sessions server ${key}`);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.api.run(`del server ${key}`, /^Server deleted\.$/);
          break;
        } catch (err) {
          // Idle connections may still be attached for a moment after the sessions ended.
          if (!isLbaError(err, HaproxyRefused) || attempt >= 20) throw err;
          await sleep(100);
        }
      }
      this.log.info(`haproxy: ${backend}: deleted server ${name}`);
    } finally {
      this.removing.delete(key);
    }
  }

  private async sessions(backend: string, name: string): Promise<number> {
    const row = parseStat(await this.api.raw(`show stat`)).find((r) => r.pxname === backend && r.svname === name);
    return row ? Number(row.scur || 0) : 0;
  }

  async snapshot(): Promise<BackendView[]> {
    const rows = parseStat(await this.api.raw('show stat'));
    const byBackend = new Map<string, StatRow[]>();
    for (const r of rows) {
      if (r.svname === 'FRONTEND') continue;
      // a backend with no server is still a backend (its BACKEND row), as the built-in proxy lists it
      if (!byBackend.has(r.pxname!)) byBackend.set(r.pxname!, []);
      if (r.svname !== 'BACKEND') byBackend.get(r.pxname!)!.push(r);
    }
    return [...byBackend].map(([name, servers]) => ({ name, servers: servers.map((r) => this.view(name, r)) }));
  }

  private view(backend: string, r: StatRow): ServerView {
    const { host: addr, port } = splitRuntimeAddr(r.addr ?? '');
    const status = statusOf(r.status ?? '');
    const spec = this.desired.get(backend)?.get(r.svname!);
    const checkStatus = r.check_status ?? '';
    return {
      name: r.svname!,
      addr,
      port,
      ...weights(r),
      backup: r.bck === '1',
      monitorOnly: spec?.monitorOnly ?? false,
      admin: status === 'MAINT' ? 'maint' : status === 'DRAIN' ? 'drain' : 'ready',
      status,
      check: {
        status: !checkStatus ? 'none' : /^(L4OK|L6OK|L7OK|L7OKC)/.test(checkStatus.replace(/^\* ?/, '')) ? 'passed' : /^INI/.test(checkStatus) ? 'pending' : 'failed',
        lastResult: [checkStatus, r.check_code, r.check_desc].filter(Boolean).join(' ') || undefined,
        durationMs: r.check_duration ? Number(r.check_duration) : undefined,
      },
      sessions: { current: Number(r.scur || 0), max: Number(r.smax || 0), total: Number(r.stot || 0) },
      queue: { current: Number(r.qcur || 0), max: Number(r.qmax || 0) },
      lastChange: Date.now() - Number(r.lastchg || 0) * 1000,
      downtimeMs: Number(r.downtime || 0) * 1000,
      removing: this.removing.has(`${backend}/${r.svname}`),
      reason: spec?.reason ?? (spec ? undefined : 'static server from haproxy.cfg'),
    };
  }
}

/** HAProxy's `weight` is the effective weight (slow start lowers it), `uweight` the one set. */
function weights(r: StatRow): Pick<ServerView, 'weight' | 'eweight'> {
  const eweight = Number(r.weight || 0);
  if (!r.uweight) return { weight: eweight };
  const weight = Number(r.uweight);
  return weight === eweight ? { weight } : { weight, eweight };
}

function statusOf(s: string): ServerStatus {
  if (s.startsWith('MAINT')) return 'MAINT';
  if (s.startsWith('DRAIN')) return 'DRAIN';
  if (s.startsWith('DOWN')) return 'DOWN';
  if (s.startsWith('NOLB')) return 'NOLB';
  if (s.startsWith('no check')) return 'no check';
  return 'UP';
}

