// serf's user events (serf.go UserEvent and handleUserEvent): Lamport-clocked, de-duplicated by a ring buffer of
// the last eventBuffer times, rebroadcast once, coalesced per name when the sender asked for it.
import type { SerfEvent } from './api.js';
import type { SerfCore } from './core.js';
import { encodeUserEvent, type UserEventEntry, type UserEventMsg } from './messages.js';

const USER_EVENT_SIZE_LIMIT = 512;

export class UserEvents {
  /** ring buffer by LTime: what push/pull sends, and what makes a repeat a repeat */
  readonly buffer: (UserEventEntry | null)[];
  /** events older than this are history (a restored snapshot, or a join that ignores old events) */
  minTime = 0;

  constructor(private readonly c: SerfCore) {
    this.buffer = new Array(c.cfg.eventBuffer ?? 512).fill(null);
  }

  async send(name: string, payload: Buffer, coalesce: boolean): Promise<void> {
    if (name.length + payload.length > USER_EVENT_SIZE_LIMIT) throw new Error(`user event exceeds configured limit of ${USER_EVENT_SIZE_LIMIT} bytes before encoding`);
    const { eventClock } = this.c;
    const ltime = eventClock.time();
    eventClock.increment();
    this.c.counts.eventsSent++;
    this.handle({ ltime, name, payload, cc: coalesce }, true, false);
  }

  /** An event, ours or a peer's: true when it was new (and delivered). */
  handle(e: UserEventMsg, rebroadcast: boolean, replayed: boolean): boolean {
    const { c } = this;
    c.eventClock.witness(e.ltime);
    if (e.ltime < this.minTime) return false;
    const size = this.buffer.length;
    const cur = c.eventClock.time();
    if (cur > size && e.ltime < cur - size) return false;
    const idx = e.ltime % size;
    let slot = this.buffer[idx];
    if (slot && slot.ltime === e.ltime) {
      if (slot.events.some((x) => x.name === e.name && x.payload.equals(e.payload))) return false;
    } else {
      slot = { ltime: e.ltime, events: [] };
      this.buffer[idx] = slot;
    }
    slot.events.push({ name: e.name, payload: e.payload });
    c.snapshot?.userEvent(e.ltime);
    c.counts.eventsNew++;
    if (rebroadcast) c.eventQueue.queue({ message: encodeUserEvent(e), unique: true });
    const ev: SerfEvent = { type: 'user', name: e.name, payload: e.payload, ltime: e.ltime, coalesce: e.cc, replayed };
    c.log?.debug(`serf: user event ${e.name} ltime ${e.ltime}`);
    if (e.cc && c.userCoalescer) c.userCoalescer.add(ev);
    else c.deliver(ev);
    return true;
  }
}
