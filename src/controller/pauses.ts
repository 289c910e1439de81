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
  // oxlint-disable-next-line no-control-regex -- refusing control characters in a node name is the point
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

/**
 * The pause records that apply to each member: its own (payload naming it exactly), and one naming it in another
 * case when that name matches no member exactly and this member only (Windows' %COMPUTERNAME% is upper case,
 * serf's default node name need not be). The record with the later LTime wins.
 */
export function pausesByMember(memberNames: Iterable<string>, pauses: ReadonlyMap<string, PauseRecord>): Map<string, PauseRecord> {
  const names = new Set(memberNames);
  const byLower = namesByLowerCase(names);
  const out = new Map<string, PauseRecord>();
  for (const [payloadName, record] of pauses) {
    const target = names.has(payloadName) ? payloadName : singleCaseMatch(byLower, payloadName);
    if (target === undefined) continue;
    const cur = out.get(target);
    if (!cur || cur.ltime < record.ltime) out.set(target, record);
  }
  return out;
}

/** Member names grouped by their lower-case spelling (two members may differ only by case). */
function namesByLowerCase(names: Iterable<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const key = n.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), n]);
  }
  return out;
}

function singleCaseMatch(byLower: ReadonlyMap<string, string[]>, name: string): string | undefined {
  const found = byLower.get(name.toLowerCase());
  return found?.length === 1 ? found[0] : undefined;
}

/** How a pause/resume payload's node name relates to the members: for the controller's log line. */
export function matchPauseTarget(node: string, memberNames: readonly string[]): { member: string; exact: boolean } | { close: string[] } {
  if (memberNames.includes(node)) return { member: node, exact: true };
  const single = singleCaseMatch(namesByLowerCase(memberNames), node);
  if (single !== undefined) return { member: single, exact: false };
  // names that were close: same letters in another case, or at most two edits away
  const lower = node.toLowerCase();
  const close = memberNames
    .map((n) => ({ n, d: editDistance(n.toLowerCase(), lower, 2) }))
    .filter((c) => c.d <= 2)
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1));
  return { close: close.slice(0, 5).map((c) => c.n) };
}

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]!);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
