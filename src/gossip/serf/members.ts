// serf's member table (serf.go handleNodeJoin/Leave/Update, handleNodeJoinIntent/LeaveIntent, reap, reconnect):
// what memberlist's events (event_delegate.go) and the Lamport-clocked join and leave intents do to each member's
// status, an intent that comes before its node kept a while, and failed or left members reaped or tried again.
import { randomInt } from 'node:crypto';
import type { MemberNode, MemberlistEvents } from '../memberlist/api.js';
import type { SerfMember, SerfMemberStatus } from './api.js';
import type { SerfCore } from './core.js';
import { decodeTags, encodeJoin, encodeLeave, type LeaveIntent } from './messages.js';

const MAX_QUEUE_DEPTH = 4096;

interface MemberRecord {
  member: SerfMember;
  statusLTime: number;
  /** when it became failed or left (reaping) */
  leaveTime: number;
}

interface Intent {
  type: 'join' | 'leave';
  ltime: number;
  at: number;
}

export class Members implements MemberlistEvents {
  readonly records = new Map<string, MemberRecord>();
  private readonly recentIntents = new Map<string, Intent>();

  constructor(private readonly c: SerfCore) {}

  // ---------------------------------------------------------------- memberlist events
  memberOf(n: MemberNode, status: SerfMemberStatus): SerfMember {
    let tags: Record<string, string> = {};
    try {
      tags = decodeTags(n.meta);
    } catch {
      this.c.drop('malformed tags');
    }
    const v = n.vsn;
    return { name: n.name, addr: n.addr, port: n.port, tags, status, protocol: { min: v[0], max: v[1], cur: v[2], delegateMin: v[3], delegateMax: v[4], delegateCur: v[5] } };
  }

  notifyJoin(n: MemberNode): void {
    const existing = this.records.get(n.name);
    const member = this.memberOf(n, 'alive');
    if (existing) {
      existing.member = { ...member, status: existing.member.status === 'leaving' ? 'leaving' : 'alive' };
      existing.leaveTime = 0;
    } else {
      this.records.set(n.name, { member, statusLTime: 0, leaveTime: 0 });
    }
    const rec = this.records.get(n.name)!;
    // An intent that arrived before the node did.
    const intent = this.recentIntents.get(n.name);
    if (intent && intent.ltime > rec.statusLTime) {
      rec.statusLTime = intent.ltime;
      if (intent.type === 'leave') rec.member.status = 'leaving';
      this.recentIntents.delete(n.name);
    }
    this.c.emitMember('member-join', rec.member);
  }

  notifyLeave(n: MemberNode): void {
    const rec = this.records.get(n.name);
    if (!rec) return;
    const status: SerfMemberStatus = rec.member.status === 'leaving' || n.state === 'left' ? 'left' : 'failed';
    rec.member = { ...this.memberOf(n, status) };
    rec.leaveTime = Date.now();
    this.c.emitMember(status === 'left' ? 'member-leave' : 'member-failed', rec.member);
  }

  notifyUpdate(n: MemberNode): void {
    const rec = this.records.get(n.name);
    if (!rec) return;
    rec.member = this.memberOf(n, rec.member.status);
    this.c.emitMember('member-update', rec.member);
  }

  // ---------------------------------------------------------------- intents
  handleJoinIntent(j: { ltime: number; node: string }, rebroadcast: boolean): boolean {
    const { c } = this;
    c.clock.witness(j.ltime);
    const rec = this.records.get(j.node);
    if (!rec) {
      this.recordIntent(j.node, 'join', j.ltime);
      return false;
    }
    if (j.ltime <= rec.statusLTime) return false;
    rec.statusLTime = j.ltime;
    if (rec.member.status === 'leaving') rec.member.status = 'alive';
    if (rebroadcast) c.intentQueue.queue({ name: `intent:${j.node}`, message: encodeJoin(j) });
    return true;
  }

  handleLeaveIntent(l: LeaveIntent, rebroadcast: boolean): boolean {
    const { c } = this;
    c.clock.witness(l.ltime);
    if (l.node === c.name && !c.leaving) {
      // Someone thinks we are leaving: refute with a fresh join intent.
      const ltime = c.clock.time();
      c.clock.increment();
      c.intentQueue.queue({ name: `intent:${l.node}`, message: encodeJoin({ ltime, node: l.node }) });
      return false;
    }
    const rec = this.records.get(l.node);
    if (!rec) {
      this.recordIntent(l.node, 'leave', l.ltime);
      return false;
    }
    if (l.ltime <= rec.statusLTime) return false;
    rec.statusLTime = l.ltime;
    if (rec.member.status === 'alive') rec.member.status = 'leaving';
    else if (rec.member.status === 'failed') {
      rec.member.status = 'left';
      rec.leaveTime = Date.now();
      c.emitMember('member-leave', rec.member);
    }
    if (l.prune) this.erase(l.node);
    if (rebroadcast) c.intentQueue.queue({ name: `intent:${l.node}`, message: encodeLeave(l) });
    return true;
  }

  private recordIntent(node: string, type: 'join' | 'leave', ltime: number): void {
    const cur = this.recentIntents.get(node);
    if (!cur || ltime > cur.ltime) this.recentIntents.set(node, { type, ltime, at: Date.now() });
  }

  pruneRecentIntents(): void {
    const horizon = Date.now() - (this.c.cfg.recentIntentTimeoutMs ?? 5 * 60_000);
    for (const [k, v] of this.recentIntents) if (v.at < horizon) this.recentIntents.delete(k);
  }

  // ---------------------------------------------------------------- counts
  /** Other members that are alive (`others`), or every alive member. */
  countAlive(others = false): number {
    let n = 0;
    for (const r of this.records.values()) if (r.member.status === 'alive' && !(others && r.member.name === this.c.name)) n++;
    return n;
  }

  // ---------------------------------------------------------------- reaping and reconnecting
  private erase(name: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    this.records.delete(name);
    this.c.emitMember('member-reap', rec.member);
  }

  reap(): void {
    const { c } = this;
    const now = Date.now();
    const reconnectTimeout = c.cfg.reconnectTimeoutMs ?? 24 * 3600_000;
    const tombstone = c.cfg.tombstoneTimeoutMs ?? 24 * 3600_000;
    for (const [name, r] of [...this.records]) {
      if (name === c.name) continue;
      if (r.member.status === 'failed' && now - r.leaveTime > reconnectTimeout) this.erase(name);
      else if (r.member.status === 'left' && now - r.leaveTime > tombstone) this.erase(name);
    }
    c.intentQueue.prune(MAX_QUEUE_DEPTH);
    c.eventQueue.prune(MAX_QUEUE_DEPTH);
    c.queryQueue.prune(MAX_QUEUE_DEPTH);
  }

  /** Periodically try a failed member again, so a healed partition merges back (serf's reconnect). */
  async reconnect(): Promise<void> {
    const failed = [...this.records.values()].filter((r) => r.member.status === 'failed');
    if (failed.length === 0 || this.c.leaving) return;
    const alive = this.countAlive();
    // As serf: the fewer alive members, the more likely we try.
    if (Math.random() > failed.length / Math.max(1, alive)) return;
    const r = failed[randomInt(failed.length)]!;
    try {
      await this.c.ml.join([`${r.member.addr.includes(':') ? `[${r.member.addr}]` : r.member.addr}:${r.member.port}`]);
      this.c.log?.info(`serf: reconnected to ${r.member.name}`);
    } catch {
      // still gone
    }
  }
}
