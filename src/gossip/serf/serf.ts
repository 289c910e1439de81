// serf's facade (serf.go): creates the parts, restores the snapshot, starts memberlist with serf's delegates and
// runs the reap, reconnect and intent-pruning timers; join, leave, force-leave and tags. The parts: members.ts
// (member status and intents), user-events.ts, query.ts, delegate.ts (what memberlist calls), coalesce.ts,
// snapshot.ts; wire formats in messages.ts.
import { randomInt } from 'node:crypto';
import { createMemberlist } from '../memberlist/memberlist.js';
import { assertValidLocalNode, nodeNameProblem } from '../memberlist/validate.js';
import type { QueryOptions, Serf, SerfConfig, SerfEvent, SerfMember, SerfMemberStatus, SerfStats } from './api.js';
import { Coalescer } from './coalesce.js';
import { BROADCAST_TIMEOUT_MS, SerfCore } from './core.js';
import { SerfDelegate } from './delegate.js';
import type { KeyOp, KeyOpResult } from './keys.js';
import { Members } from './members.js';
import { encodeJoin, encodeLeave, encodeTags } from './messages.js';
import { Queries } from './query.js';
import { openSnapshot, type PreviousNode } from './snapshot.js';
import { UserEvents } from './user-events.js';

/** serf's clockUpdateInterval: how often the member clock is written to the snapshot */
const SNAPSHOT_CLOCK_INTERVAL_MS = 500;

export async function createSerf(config: SerfConfig): Promise<Serf> {
  const s = new SerfNode(config);
  await s.start();
  return s;
}

class SerfNode implements Serf {
  private readonly c: SerfCore;
  private readonly table: Members;
  private readonly events: UserEvents;
  private readonly queries: Queries;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly cfg: SerfConfig) {
    this.c = new SerfCore(cfg, () => this.table.records.size);
    this.table = new Members(this.c);
    this.events = new UserEvents(this.c);
    this.queries = new Queries(this.c, this.table);
    assertValidLocalNode(cfg.nodeName, encodeTags(this.c.tags)); // before anything binds
  }

  async start(): Promise<void> {
    const { c, cfg } = this;
    let previous: PreviousNode[] = [];
    let old = { clock: 0, eventClock: 0, queryClock: 0 };
    if (cfg.snapshotPath) {
      const { snapshotter, recovered } = openSnapshot({
        path: cfg.snapshotPath,
        rejoinAfterLeave: cfg.rejoinAfterLeave ?? false,
        clock: () => c.clock.time(),
        log: c.log,
        minCompactSize: cfg.snapshotMinCompactSize,
      });
      c.snapshot = snapshotter;
      previous = recovered.alive.filter((p) => p.name !== cfg.nodeName);
      old = recovered;
      // Events and queries up to the clocks we had already seen are history: never delivered twice.
      this.events.minTime = recovered.eventClock + 1;
      this.queries.minTime = recovered.queryClock + 1;
      c.log?.info(`serf: snapshot ${cfg.snapshotPath}: ${previous.length} previously known node(s), clock ${recovered.clock}, event-clock ${recovered.eventClock}, query-clock ${recovered.queryClock}`);
    } else if (cfg.rejoinAfterLeave) {
      c.log?.warn("serf: 'RejoinAfterLeave' enabled without snapshot file");
    }
    c.clock.increment();
    c.eventClock.increment();
    c.queryClock.increment();
    // Restored clocks: our next intents and events are newer than anything we sent before the restart.
    c.clock.witness(old.clock);
    c.eventClock.witness(old.eventClock);
    c.queryClock.witness(old.queryClock);
    const emit = (e: SerfEvent) => c.deliver(e);
    if (cfg.coalesceMemberEvents) c.memberCoalescer = new Coalescer('member', cfg.coalesceMemberEvents, emit);
    if (cfg.coalesceUserEvents) c.userCoalescer = new Coalescer('user', cfg.coalesceUserEvents, emit);
    c.ml = await createMemberlist({
      name: cfg.nodeName,
      bindAddr: cfg.bindAddr,
      bindPort: cfg.bindPort,
      advertiseAddr: cfg.advertiseAddr,
      advertisePort: cfg.advertisePort,
      profile: cfg.profile,
      keys: (cfg.encryptKeys ?? []).map((k) => Buffer.from(k, 'base64')),
      logger: c.log,
      delegate: new SerfDelegate(c, this.table, this.events, this.queries),
      events: this.table,
      // serf's delegate protocol: speaks 5, understands 2..5 (what serf 0.9.x and 0.10.x advertise).
      delegateProtocolMin: 2,
      delegateProtocolMax: 5,
      delegateProtocolVersion: 5,
      ...cfg.memberlist,
    });
    this.every(cfg.reapIntervalMs ?? 15_000, () => this.table.reap());
    this.every(cfg.reconnectIntervalMs ?? 30_000, () => void this.table.reconnect());
    this.every(1000, () => this.table.pruneRecentIntents());
    if (c.snapshot) this.every(SNAPSHOT_CLOCK_INTERVAL_MS, () => c.snapshot?.updateClock());
    // Next turn: whoever created us subscribes first (createSerf resolves before any packet can arrive), so the
    // events the rejoin brings (pauses sent while we were away) have a listener.
    if (previous.length) setImmediate(() => void this.rejoin(previous));
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (!this.c.stopped) fn();
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  subscribe(listener: (e: SerfEvent) => void): () => void {
    return this.c.subscribe(listener);
  }

  userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void> {
    return this.events.send(name, payload, coalesce);
  }

  query(name: string, payload: Buffer, opts?: QueryOptions): Promise<Array<{ from: string; payload: Buffer }>> {
    return this.queries.query(name, payload, opts);
  }

  keyOp(op: KeyOp, key?: string): Promise<KeyOpResult> {
    return this.queries.keyOp(op, key);
  }

  // ---------------------------------------------------------------- membership operations
  localMember(): SerfMember {
    return this.table.records.get(this.cfg.nodeName)?.member ?? this.table.memberOf(this.c.ml.localNode(), 'alive');
  }

  members(): SerfMember[] {
    return [...this.table.records.values()].map((r) => ({ ...r.member, tags: { ...r.member.tags } }));
  }

  async join(addrs: string[], replay = false): Promise<number> {
    return this.joinCluster(addrs, !replay, replay);
  }

  /**
   * `ignoreOld`: events the peers hold from before our join are history (serf's eventJoinIgnore); a rejoin from the
   * snapshot leaves it off, so what was sent while we were away is delivered (the snapshot's event-clock already
   * keeps out what we had seen).
   */
  private async joinCluster(addrs: string[], ignoreOld: boolean, replay: boolean): Promise<number> {
    const { c } = this;
    c.eventJoinIgnore = ignoreOld;
    c.replaying = replay;
    try {
      const n = await c.ml.join(addrs);
      // Tell everyone we joined, with a fresh Lamport time.
      const ltime = c.clock.time();
      c.clock.increment();
      const rec = this.table.records.get(this.cfg.nodeName);
      if (rec) rec.statusLTime = ltime;
      c.intentQueue.queue({ name: `intent:${this.cfg.nodeName}`, message: encodeJoin({ ltime, node: this.cfg.nodeName }) });
      return n;
    } finally {
      c.eventJoinIgnore = false;
      c.replaying = false;
    }
  }

  /**
   * serf's force-leave: mark a failed member as left everywhere (so it is not reconnected to), and with `prune`
   * erase it from the member list at once.
   */
  async forceLeave(node: string, prune = false): Promise<void> {
    const { c } = this;
    const bad = nodeNameProblem(node);
    if (bad) throw new Error(bad); // no member has such a name, and no peer would take the intent
    // Go past the node's status time as we know it: an intent at that same time would be ignored by members
    // that already hold it (a prune right after a force-leave).
    const known = this.table.records.get(node)?.statusLTime ?? 0;
    c.clock.witness(known + 1);
    const msg = { ltime: c.clock.time(), node, prune };
    c.clock.increment();
    this.table.handleLeaveIntent(msg, true);
    const others = this.table.countAlive(true) > 0;
    if (others && !(await c.intentQueue.drained(BROADCAST_TIMEOUT_MS))) throw new Error('timed out broadcasting node removal');
  }

  /**
   * serf's handleRejoin: try the members the snapshot knew, in random order, until one answers. serf tries once; we
   * go on (backing off to the reconnect interval) while no one else is alive, so a node that comes back before its
   * peers still finds them with no one's help.
   */
  private async rejoin(previous: PreviousNode[]): Promise<void> {
    const { c } = this;
    const order = [...previous];
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let delay = 1000;
    const cap = this.cfg.reconnectIntervalMs ?? 30_000;
    const hasAlivePeers = () => this.table.countAlive(true) > 0;
    for (;;) {
      for (const p of order) {
        if (c.stopped || c.leaving) return;
        c.log?.info(`serf: Attempting re-join to previously known node: ${p.name}: ${p.addr}`);
        try {
          await this.joinCluster([p.addr], false, false);
          c.log?.info(`serf: Re-joined to previously known node: ${p.name}: ${p.addr}`);
          return;
        } catch {
          // memberlist logged why; try the next one
        }
      }
      if (c.stopped || c.leaving) return;
      c.log?.warn(`serf: Failed to re-join any previously known node${hasAlivePeers() ? '' : `, trying again in ${delay / 1000}s`}`);
      if (hasAlivePeers()) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      if (hasAlivePeers()) return; // someone joined us meanwhile
      delay = Math.min(delay * 2, cap);
    }
  }

  async leave(): Promise<void> {
    const { c } = this;
    if (c.leaving) return;
    c.leaving = true;
    c.snapshot?.leave();
    const ltime = c.clock.time();
    c.clock.increment();
    const self = this.table.records.get(this.cfg.nodeName);
    if (self) {
      self.statusLTime = ltime;
      self.member.status = 'leaving';
    }
    const others = this.table.countAlive(true) > 0;
    if (others) {
      c.intentQueue.queue({ name: `intent:${this.cfg.nodeName}`, message: encodeLeave({ ltime, node: this.cfg.nodeName, prune: false }) });
      await c.intentQueue.drained(BROADCAST_TIMEOUT_MS);
    }
    await c.ml.leave(BROADCAST_TIMEOUT_MS);
    if (others) await new Promise((r) => setTimeout(r, Math.min(1000, this.cfg.memberlist?.probeIntervalMs ?? 1000)).unref());
    if (self) self.member.status = 'left';
  }

  async shutdown(): Promise<void> {
    const { c } = this;
    if (c.stopped) return;
    c.stopped = true;
    for (const t of this.timers) clearInterval(t);
    c.memberCoalescer?.stop();
    c.userCoalescer?.stop();
    c.snapshot?.close();
    await c.ml.shutdown();
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    if (encodeTags(tags).length > 512) throw new Error('Encoded length of tags exceeds limit of 512 bytes');
    this.c.tags = { ...tags };
    await this.c.ml.updateNode(BROADCAST_TIMEOUT_MS);
  }

  stats(): SerfStats {
    const { c } = this;
    let failed = 0;
    let left = 0;
    const membersByStatus: Record<SerfMemberStatus, number> = { alive: 0, leaving: 0, left: 0, failed: 0 };
    for (const r of this.table.records.values()) {
      if (r.member.status === 'failed') failed++;
      if (r.member.status === 'left') left++;
      membersByStatus[r.member.status]++;
    }
    return {
      memberlist: c.ml.stats(), serfDropped: c.dropped, serfDropReasons: { ...c.dropReasons }, memberTime: c.clock.time(), eventTime: c.eventClock.time(), queryTime: c.queryClock.time(),
      members: this.table.records.size, failed, left, healthScore: c.ml.healthScore(),
      membersByStatus, eventsSent: c.counts.eventsSent, eventsReceived: c.counts.eventsNew - c.counts.eventsSent,
      queriesSent: c.counts.queriesSent, queriesReceived: c.counts.queriesNew - c.counts.queriesSent,
    };
  }

  keys() {
    const ring = this.c.ml.keyring();
    const b = (k: string) => Buffer.from(k, 'base64');
    return { list: () => ring.keys().map((k) => k.toString('base64')), install: (k: string) => ring.install(b(k)), use: (k: string) => ring.use(b(k)), remove: (k: string) => ring.remove(b(k)) };
  }
}
