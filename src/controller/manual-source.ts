// A MemberSource fed by hand: for a static list of backends (no gossip), for the demo before the gossip
// stack is wired, and for driving the controller in tests through the same seam the gossip node uses.
import type { Member, MemberSource, MemberSourceEvent } from '../interfaces/index.js';

export class ManualMemberSource implements MemberSource {
  private readonly byName = new Map<string, Member>();
  private readonly listeners = new Set<(e: MemberSourceEvent) => void>();
  private ltime = 0;

  constructor(private readonly local: string, initial: Member[] = []) {
    for (const m of initial) this.byName.set(m.name, { ...m, tags: { ...m.tags } });
  }

  members(): Member[] {
    return [...this.byName.values()];
  }

  localName(): string {
    return this.local;
  }

  subscribe(listener: (event: MemberSourceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Add or replace members (alive unless said otherwise), announced as a join or an update. */
  upsert(...members: Member[]): void {
    const joined: Member[] = [];
    const updated: Member[] = [];
    for (const m of members) {
      const had = this.byName.has(m.name);
      this.byName.set(m.name, { ...m, tags: { ...m.tags } });
      (had ? updated : joined).push(m);
    }
    if (joined.length) this.emit({ type: 'member-join', members: joined });
    if (updated.length) this.emit({ type: 'member-update', members: updated });
  }

  setStatus(name: string, status: Member['status']): void {
    const m = this.byName.get(name);
    if (!m) return;
    m.status = status;
    const type = status === 'failed' ? 'member-failed' : status === 'alive' ? 'member-join' : 'member-leave';
    this.emit({ type, members: [{ ...m }] });
  }

  remove(name: string): void {
    const m = this.byName.get(name);
    if (!m) return;
    this.byName.delete(name);
    this.emit({ type: 'member-reap', members: [m] });
  }

  /** A user event with the next Lamport time (or the one given, as a replayed event would carry). */
  userEvent(name: string, payload: string, opts: { ltime?: number; replayed?: boolean } = {}): void {
    const ltime = opts.ltime ?? ++this.ltime;
    this.ltime = Math.max(this.ltime, ltime);
    this.emit({ type: 'user', name, payload: Buffer.from(payload), ltime, replayed: opts.replayed ?? false });
  }

  private emit(e: MemberSourceEvent): void {
    for (const l of this.listeners) l(e);
  }
}
