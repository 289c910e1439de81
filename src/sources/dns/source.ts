// A member source from DNS SRV records (HAProxy's `server-template` with `resolvers`): resolved at start, again
// every interval (sooner when an address's TTL ends), each change announced as serf would (join, update, leave,
// reap). A round that fails (timeout, SERVFAIL, REFUSED, no name server) changes nothing: the last good servers
// stay. NXDOMAIN or an empty answer from a name server keeps them for hold_nx, then they leave (drain, removal).
import type { Logger } from 'pino';
import type { Resolver } from 'node:dns/promises';
import type { Member, MemberEventType, MemberSourceEvent } from '../../interfaces/index.js';
import { formatDuration } from '../../config/index.js';
import { createResolver, resolveRound, type Round } from './resolve.js';
import { describeChange, sameMember, toMembers } from './records.js';
import type { DnsSourceSettings } from './section.js';
import type { SourceStatus } from '../status.js';

/** A member gone from DNS is announced as left, and forgotten (reaped) this long after. */
const REAP_MS = 15 * 60_000;
/** TTLs shorter than this do not make rounds more frequent. */
const MIN_TTL_ROUND_MS = 1000;

interface Entry {
  member: Member;
  /** when a good answer first lacked it (hold_obsolete counts from here) */
  missingSince?: number;
  /** when it was announced as left */
  leftAt?: number;
}

type Health = 'starting' | 'ok' | 'failing' | 'nx';

export class DnsMemberSource {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(e: MemberSourceEvent) => void>();
  private readonly resolver: Resolver;
  private readonly log: Logger;
  private health: Health = 'starting';
  private nxSince?: number;
  /** targets of the last answer that had no address, to log a change of that list once */
  private unresolved = '';
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** rounds run and rounds that failed, for tests and the log */
  readonly stats = { rounds: 0, failures: 0 };

  constructor(readonly settings: DnsSourceSettings, log: Logger, private readonly now: () => number = Date.now) {
    this.log = log.child({ source: 'dns', srv: settings.name });
    this.resolver = createResolver(settings);
  }

  /** Resolves once (its servers are known before the controller's first picture), then on its own. */
  async start(): Promise<void> {
    const s = this.settings;
    this.log.info(`dns source ${s.name}: role ${s.role}, resolvers ${s.resolvers?.join(', ') ?? 'of the system'}, every ${formatDuration(s.intervalMs)}`);
    await this.tick();
  }

  status(): SourceStatus {
    const members = [...this.entries.values()].filter((e) => e.member.status === 'alive').length;
    // NXDOMAIN is an answer: the name server is up, the name has no servers
    return { source: 'dns', name: this.settings.name, members, up: this.health !== 'failing', failures: this.stats.failures };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.resolver.cancel();
    await this.running;
  }

  members(): Member[] {
    return [...this.entries.values()].map((e) => ({ ...e.member, tags: { ...e.member.tags } }));
  }

  localName(): string {
    return '';
  }

  subscribe(listener: (event: MemberSourceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.running = this.round().catch((err: unknown) => {
      // never expected (a round reports DNS errors as values); the source must keep resolving all the same
      this.log.error({ err }, `dns ${this.settings.name}: round failed: ${err instanceof Error ? err.message : String(err)}`);
      this.scheduleNext(this.now(), undefined);
    });
    await this.running;
  }

  private async round(): Promise<void> {
    const r = await resolveRound(this.resolver, this.settings);
    if (this.stopped) return;
    this.stats.rounds++;
    const now = this.now();
    let ttlMs: number | undefined;
    if (r.kind === 'failure') this.onFailure(r);
    else if (r.kind === 'nx') this.onNx(r, now);
    else {
      if (this.health !== 'ok' && this.health !== 'starting') this.log.info(`dns ${this.settings.name}: resolution back (${r.records.length} records)`);
      this.health = 'ok';
      this.nxSince = undefined;
      const unresolved = r.unresolved.join(', ');
      if (unresolved !== this.unresolved && unresolved) this.log.warn(`dns ${this.settings.name}: no address for ${unresolved}: left out`);
      this.unresolved = unresolved;
      this.apply(toMembers(r.records, this.settings.role, this.settings.name), now, this.settings.holdObsoleteMs);
      ttlMs = r.ttlMs;
    }
    this.reap(now);
    this.scheduleNext(now, ttlMs);
  }

  private onFailure(r: Extract<Round, { kind: 'failure' }>): void {
    this.stats.failures++;
    if (this.health === 'failing') return;
    const kept = [...this.entries.values()].filter((e) => e.member.status === 'alive').length;
    this.log.warn({ code: r.code }, `dns ${this.settings.name}: resolution failed (${r.message}): keeping the last ${kept} servers`);
    this.health = 'failing';
  }

  /** NXDOMAIN / no records from a name server that answered: kept for hold_nx, then every member leaves. */
  private onNx(r: Extract<Round, { kind: 'nx' }>, now: number): void {
    if (this.health !== 'nx') {
      this.nxSince = now;
      const hold = this.settings.holdNxMs;
      this.log.warn({ code: r.code }, `dns ${this.settings.name}: ${r.detail}: keeping the last servers for ${formatDuration(hold)} (hold_nx)`);
    }
    this.health = 'nx';
    if (now - (this.nxSince ?? now) >= this.settings.holdNxMs) this.apply([], now, 0);
  }

  /** The answer's members against the known ones: joins, updates, and (after the hold) leaves. */
  private apply(next: Member[], now: number, holdMs: number): void {
    const joined: Member[] = [];
    const updated: Member[] = [];
    const left: Member[] = [];
    const seen = new Set<string>();
    for (const m of next) {
      seen.add(m.name);
      const e = this.entries.get(m.name);
      if (!e) {
        this.entries.set(m.name, { member: m });
        joined.push(m);
        this.log.info(`dns ${this.settings.name}: +${m.name} ${m.addr}:${m.port} weight ${m.tags.weight}${m.tags.backup ? ' backup' : ''}`);
      } else if (e.member.status !== 'alive') {
        this.entries.set(m.name, { member: m });
        joined.push(m);
        this.log.info(`dns ${this.settings.name}: +${m.name} ${m.addr}:${m.port} weight ${m.tags.weight} (back in the answer)`);
      } else {
        e.missingSince = undefined;
        if (sameMember(e.member, m)) continue;
        this.log.info(`dns ${this.settings.name}: ~${m.name} ${describeChange(e.member, m)}`);
        e.member = m;
        updated.push(m);
      }
    }
    for (const e of this.entries.values()) {
      if (seen.has(e.member.name) || e.member.status !== 'alive') continue;
      e.missingSince ??= now;
      if (now - e.missingSince < holdMs) continue;
      e.member = { ...e.member, status: 'left' };
      e.leftAt = now;
      left.push(e.member);
      this.log.info(`dns ${this.settings.name}: -${e.member.name} (no longer in the answer)`);
    }
    this.emit('member-join', joined);
    this.emit('member-update', updated);
    this.emit('member-leave', left);
  }

  private reap(now: number): void {
    const reaped: Member[] = [];
    for (const [name, e] of this.entries) {
      if (e.leftAt !== undefined && now - e.leftAt >= REAP_MS) {
        this.entries.delete(name);
        reaped.push(e.member);
      }
    }
    this.emit('member-reap', reaped);
  }

  /** Next round: the interval, or sooner for an address TTL or a hold that ends first. */
  private scheduleNext(now: number, ttlMs: number | undefined): void {
    if (this.stopped) return;
    const due = [now + this.settings.intervalMs];
    // a TTL of 0 (Consul's default, dnsmasq's for local records) means "do not cache", not "changes every second"
    if (ttlMs !== undefined && ttlMs > 0) due.push(now + Math.max(MIN_TTL_ROUND_MS, ttlMs));
    if (this.nxSince !== undefined) due.push(this.nxSince + this.settings.holdNxMs);
    for (const e of this.entries.values()) {
      if (e.missingSince !== undefined && e.member.status === 'alive') due.push(e.missingSince + this.settings.holdObsoleteMs);
    }
    const delay = Math.max(MIN_TTL_ROUND_MS / 10, Math.min(...due.filter((t) => t > now)) - now);
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private emit(type: MemberEventType, members: Member[]): void {
    if (members.length === 0) return;
    const event: MemberSourceEvent = { type, members: members.map((m) => ({ ...m, tags: { ...m.tags } })) };
    for (const l of this.listeners) l(event);
  }
}
