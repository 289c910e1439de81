// What the parts of one memberlist share (memberlist's Memberlist struct, less its methods): the config and its
// timers, the keyring, the transport once bound, Lifeguard's awareness, the drop counters and the lifecycle flags.
import type { Logger } from 'pino';
import type { MemberlistConfig, MemberlistStats } from './api.js';
import { Awareness } from './awareness.js';
import { PROFILES, type Timers } from './config.js';
import { Keyring } from './keyring.js';
import { errorMessage } from '../../errors/index.js';
import type { Transport } from './transport.js';

export class Core {
  readonly t: Timers;
  readonly ring: Keyring;
  readonly awareness: Awareness;
  readonly log: Logger | undefined;
  readonly st: MemberlistStats = {
    packetsReceived: 0, packetsDropped: 0, streamsDropped: 0, dropReasons: {}, packetsSent: 0, packetBytesSent: 0, packetBytesReceived: 0,
    streamsOpened: 0, streamsAccepted: 0, streamBytesSent: 0, streamBytesReceived: 0, probes: 0, probesFailed: 0,
    probeRtt: { boundsMs: RTT_BOUNDS_MS, counts: new Array<number>(RTT_BOUNDS_MS.length + 1).fill(0), sum: 0 }, suspicions: 0,
  };
  /** set by start(), before any packet can arrive */
  transport!: Transport;
  leaving = false;
  stopped = false;

  constructor(readonly cfg: MemberlistConfig) {
    const base = PROFILES[cfg.profile];
    const pick = <K extends keyof Timers>(k: K): Timers[K] => ((cfg as unknown as Partial<Timers>)[k] ?? base[k]) as Timers[K];
    this.t = Object.fromEntries(Object.keys(base).map((k) => [k, pick(k as keyof Timers)])) as unknown as Timers;
    this.ring = new Keyring(cfg.keys ?? []);
    this.awareness = new Awareness(this.t.awarenessMaxMultiplier);
    this.log = cfg.logger?.child({ component: 'memberlist' });
  }

  get name(): string {
    return this.cfg.name;
  }

  /** Count what we refuse, by reason; a 'record' is one node state of a push/pull that was otherwise taken. */
  drop(kind: 'packet' | 'stream' | 'record', reason: string, node?: string): void {
    if (kind === 'packet') this.st.packetsDropped++;
    else if (kind === 'stream') this.st.streamsDropped++;
    this.st.dropReasons[reason] = (this.st.dropReasons[reason] ?? 0) + 1;
    // The name only in part: it may be what was wrong (kilobytes, control characters).
    this.log?.debug({ reason, node: node === undefined ? undefined : JSON.stringify(node.slice(0, 64)) }, `memberlist: dropped ${kind}: ${reason}`);
  }

  /** A probe answered after `ms`. */
  noteRtt(ms: number): void {
    const r = this.st.probeRtt;
    let i = 0;
    while (i < r.boundsMs.length && ms > r.boundsMs[i]!) i++;
    r.counts[i]!++;
    r.sum += ms;
  }

  /** The layer above must not be able to crash our timers. */
  safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log?.error({ err: errorMessage(err) }, 'memberlist: event handler failed');
    }
  }

  /** Our ack payload (serf: its Vivaldi coordinate). */
  ackPayload(): Buffer {
    return this.cfg.delegate.ackPayload?.() ?? Buffer.alloc(0);
  }
}

/** Probe round trips: 1 ms to the 500 ms probe timeout and beyond. */
const RTT_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000];

export function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
