// roundrobin and static-rr: a weighted schedule precomputed on update(), so pick() is one array read.
import type { BalanceAlgorithm, BalanceTarget, PickContext } from './api.js';
import { reducedWeights } from './weights.js';
import { TriedSet } from './tried.js';

/**
 * Smooth weighted order (the effect of nginx's smooth wrr / HAProxy's dynamic wrr): server i's k-th turn
 * sits at time (k + 1/2) / w_i inside one period, and turns are taken in time order. Every period of
 * sum(w) picks gives each server exactly w_i turns, spread out rather than in bursts.
 */
export function smoothSchedule(weights: Uint32Array): Uint32Array {
  let total = 0;
  for (const w of weights) total += w;
  const owner = new Uint32Array(total);
  const time = new Float64Array(total);
  let n = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    for (let k = 0; k < w; k++) {
      owner[n] = i;
      time[n] = (k + 0.5) / w;
      n++;
    }
  }
  const order = Array.from({ length: total }, (_, j) => j);
  // ties (same time) go to the server listed first, so the order is deterministic
  order.sort((a, b) => time[a]! - time[b]! || owner[a]! - owner[b]!);
  const schedule = new Uint32Array(total);
  for (let j = 0; j < total; j++) schedule[j] = owner[order[j]!]!;
  return schedule;
}

/**
 * static-rr order: the servers in their listed order, round after round; a server takes part in as many
 * rounds as its weight. Weights 3,1,2 give a b c a c a.
 */
export function staticSchedule(weights: Uint32Array): Uint32Array {
  let total = 0;
  let rounds = 0;
  for (const w of weights) {
    total += w;
    if (w > rounds) rounds = w;
  }
  const schedule = new Uint32Array(total);
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < weights.length; i++) if (weights[i]! > r) schedule[n++] = i;
  }
  return schedule;
}

export class ScheduleAlgorithm<T extends BalanceTarget> implements BalanceAlgorithm<T> {
  private servers: readonly T[] = [];
  private schedule: Uint32Array = new Uint32Array(0);
  private pos = 0;
  private pickable = 0;
  private readonly tried = new TriedSet();

  /** roundrobin follows slow start's eweight; static-rr does not (HAProxy: static weights). */
  readonly dynamic: boolean;

  constructor(private readonly kind: 'smooth' | 'static') {
    this.dynamic = kind === 'smooth';
  }

  update(servers: readonly T[]): void {
    const weights = reducedWeights(servers, this.dynamic);
    const next = this.kind === 'smooth' ? smoothSchedule(weights) : staticSchedule(weights);
    const oldLen = this.schedule.length;
    // Keep our place: static-rr carries on in the same order; roundrobin resumes at the same fraction of its
    // period, so frequent updates do not keep favouring the first servers.
    if (next.length === 0) this.pos = 0;
    else if (this.kind === 'static') this.pos = this.pos % next.length;
    else this.pos = oldLen === 0 ? 0 : Math.floor((this.pos / oldLen) * next.length) % next.length;
    this.servers = servers;
    this.schedule = next;
    this.pickable = 0;
    for (const w of weights) if (w > 0) this.pickable++;
    this.tried.resize(servers.length);
  }

  pick(_ctx: PickContext, accept?: (s: T) => boolean): T | undefined {
    const len = this.schedule.length;
    if (len === 0) return undefined;
    if (!accept) {
      const s = this.servers[this.schedule[this.pos]!];
      this.pos = this.pos + 1 === len ? 0 : this.pos + 1;
      return s;
    }
    this.tried.begin();
    for (let step = 0; step < len; step++) {
      const i = this.schedule[this.pos]!;
      this.pos = this.pos + 1 === len ? 0 : this.pos + 1;
      if (this.tried.has(i)) continue;
      const s = this.servers[i]!;
      if (accept(s)) return s;
      this.tried.reject(i);
      if (this.tried.rejected === this.pickable) return undefined;
    }
    return undefined;
  }
}
