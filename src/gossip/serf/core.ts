// What the parts of one serf node share (serf's Serf struct, less its methods): the config, the three Lamport
// clocks and their broadcast queues, the snapshot, the subscribers and coalescers, the drop counters and the
// lifecycle flags. memberlist is set once started: nothing runs before.
import type { Logger } from 'pino';
import type { Memberlist } from '../memberlist/api.js';
import { BroadcastQueue } from '../memberlist/queue.js';
import type { SerfConfig, SerfEvent, SerfMember } from './api.js';
import type { Coalescer } from './coalesce.js';
import { LamportClock } from './lamport.js';
import type { Snapshotter } from './snapshot.js';

/** How long leave, force-leave and tag changes wait for their broadcast to spread. */
export const BROADCAST_TIMEOUT_MS = 5000;

export type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap';

export class SerfCore {
  readonly log: Logger | undefined;
  tags: Record<string, string>;
  ml!: Memberlist;
  /** member status (join/leave intents) */
  readonly clock = new LamportClock();
  readonly eventClock = new LamportClock();
  readonly queryClock = new LamportClock();
  readonly intentQueue: BroadcastQueue;
  readonly eventQueue: BroadcastQueue;
  readonly queryQueue: BroadcastQueue;
  snapshot?: Snapshotter;
  memberCoalescer?: Coalescer;
  userCoalescer?: Coalescer;
  leaving = false;
  stopped = false;
  /** during a join: the peers' old events are history (serf's eventJoinIgnore) */
  eventJoinIgnore = false;
  /** during a join: deliver the peers' old events, marked replayed (serf join -replay) */
  replaying = false;
  dropped = 0;
  readonly dropReasons: Record<string, number> = {};
  /** user events and queries this node sent, and every new one it took in, its own included (repeats not counted) */
  readonly counts = { eventsSent: 0, eventsNew: 0, queriesSent: 0, queriesNew: 0 };
  private readonly listeners = new Set<(e: SerfEvent) => void>();

  constructor(readonly cfg: SerfConfig, numNodes: () => number) {
    this.log = cfg.logger;
    this.tags = { ...cfg.tags };
    this.intentQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
    this.eventQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
    this.queryQueue = new BroadcastQueue({ retransmitMult: 4, numNodes });
  }

  get name(): string {
    return this.cfg.nodeName;
  }

  subscribe(listener: (e: SerfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deliver(e: SerfEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log?.error({ err }, 'serf: event listener failed');
      }
    }
  }

  /** A member event: logged as serf does, noted in the snapshot, coalesced when the agent asks for it. */
  emitMember(type: MemberEventType, m: SerfMember): void {
    this.log?.info(`serf: EventMember${type.slice(7, 8).toUpperCase()}${type.slice(8)}: ${m.name} ${m.addr}`);
    if (type === 'member-join') this.snapshot?.memberAlive(m.name, m.addr, m.port);
    else if (type === 'member-leave' || type === 'member-failed') this.snapshot?.memberGone(m.name);
    const e: SerfEvent = { type, members: [{ ...m, tags: { ...m.tags } }] };
    if (this.memberCoalescer) this.memberCoalescer.add(e);
    else this.deliver(e);
  }

  drop(reason: string): void {
    this.dropped++;
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + 1;
  }
}
