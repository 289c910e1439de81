// serf's coalescer: events are held until a quiescent period passes with no new event, or a quantum since the
// first one, whichever comes first. Member events keep the latest per member; user events the newest per name.
import type { SerfEvent, SerfMember } from './api.js';

export class Coalescer {
  private members = new Map<string, { type: string; member: SerfMember }>();
  private users = new Map<string, Extract<SerfEvent, { type: 'user' }>>();
  private quantum?: NodeJS.Timeout;
  private quiet?: NodeJS.Timeout;
  /** the last member event type delivered per member: a repeat of it is dropped (updates always pass) */
  private lastSent = new Map<string, string>();

  constructor(private readonly kind: 'member' | 'user', private readonly timing: { quantumMs: number; quiescentMs: number }, private readonly emit: (e: SerfEvent) => void) {}

  add(e: SerfEvent): void {
    if (e.type === 'user') {
      const cur = this.users.get(e.name);
      if (!cur || e.ltime > cur.ltime) this.users.set(e.name, e);
    } else if (e.type !== 'query') {
      for (const m of e.members) this.members.set(m.name, { type: e.type, member: m });
    }
    this.quantum ??= setTimeout(() => this.flush(), this.timing.quantumMs);
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.flush(), this.timing.quiescentMs);
  }

  flush(): void {
    clearTimeout(this.quantum);
    clearTimeout(this.quiet);
    this.quantum = undefined;
    this.quiet = undefined;
    if (this.kind === 'user') {
      const events = [...this.users.values()];
      this.users.clear();
      for (const e of events) this.emit(e);
      return;
    }
    const byType = new Map<string, SerfMember[]>();
    for (const [name, { type, member }] of this.members) {
      if (type !== 'member-update' && this.lastSent.get(name) === type) continue;
      this.lastSent.set(name, type);
      byType.set(type, [...(byType.get(type) ?? []), member]);
    }
    this.members.clear();
    for (const [type, members] of byType) this.emit({ type: type as 'member-join', members });
  }

  stop(): void {
    clearTimeout(this.quantum);
    clearTimeout(this.quiet);
  }
}
