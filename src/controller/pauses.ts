// Maintenance pauses from user events `pause` / `resume`. The payload is serf's "NODE IP ROLE" (or just "NODE").
// Per node, the event with the later Lamport time wins, whatever order they arrive in: events replayed at join
// (older ones included) therefore leave the right state, and real serf agents' events count the same.

export interface PauseRecord {
  paused: boolean;
  /** LTime of the event that decided */
  ltime: number;
  /** when we learned it (ms since epoch) */
  at: number;
}

export type PauseEventResult = { applied: true; node: string; paused: boolean } | { applied: false; why: string };

export const PAUSE_EVENT = 'pause';
export const RESUME_EVENT = 'resume';

/** The node a pause/resume payload names, or undefined if the payload is not one. */
export function parsePausePayload(payload: Buffer | string): string | undefined {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  const node = text.trim().split(/\s+/)[0];
  if (!node || node.length > 512 || /[\x00-\x1f]/.test(node)) return undefined;
  return node;
}

export class PauseBook {
  private readonly nodes = new Map<string, PauseRecord>();

  /** Feed any user event; ones that are not pause/resume are ignored. */
  onUserEvent(name: string, payload: Buffer | string, ltime: number, now = Date.now()): PauseEventResult {
    if (name !== PAUSE_EVENT && name !== RESUME_EVENT) return { applied: false, why: 'not a pause/resume event' };
    const node = parsePausePayload(payload);
    if (!node) return { applied: false, why: 'payload names no node' };
    const cur = this.nodes.get(node);
    // Equal LTimes: the one received later wins (serf cannot order them either).
    if (cur && cur.ltime > ltime) return { applied: false, why: `older than the ${cur.paused ? 'pause' : 'resume'} at ltime ${cur.ltime}` };
    const paused = name === PAUSE_EVENT;
    this.nodes.set(node, { paused, ltime, at: now });
    return { applied: true, node, paused };
  }

  /** Records kept from before a restart (pause-store.ts); a record already here with a later LTime wins. */
  restore(records: ReadonlyMap<string, PauseRecord>): void {
    for (const [node, r] of records) {
      const cur = this.nodes.get(node);
      if (!cur || cur.ltime < r.ltime) this.nodes.set(node, { ...r });
    }
  }

  get(node: string): PauseRecord | undefined {
    return this.nodes.get(node);
  }

  isPaused(node: string): boolean {
    return this.nodes.get(node)?.paused === true;
  }

  /** Read-only view for desiredPools. */
  view(): ReadonlyMap<string, PauseRecord> {
    return this.nodes;
  }
}
