// Entry point of the balancing algorithms: one BalanceAlgorithm per backend tier, chosen by HAProxy's `balance` words.
import type { BalanceAlgorithm, BalanceSpec, BalanceTarget } from './api.js';
import { ScheduleAlgorithm } from './round-robin.js';
import { LeastConnAlgorithm } from './least-conn.js';
import { SourceAlgorithm, UriAlgorithm } from './hash-ring.js';
import { RandomAlgorithm } from './random.js';
import { parseBalance } from './parse.js';

export type { BalanceAlgorithm, BalanceSpec, BalanceTarget, PickContext } from './api.js';
export { parseBalance, formatBalance, BALANCE_EXPECTED } from './parse.js';
export { nextStepAt, SLOWSTART_STEPS, warmFraction, warmMaxconn } from './slowstart.js';

export function createAlgorithm<T extends BalanceTarget>(spec: BalanceSpec): BalanceAlgorithm<T> {
  switch (spec.algo) {
    case 'roundrobin':
      return new ScheduleAlgorithm<T>('smooth');
    case 'static-rr':
      return new ScheduleAlgorithm<T>('static');
    case 'leastconn':
      return new LeastConnAlgorithm<T>();
    case 'source':
      return new SourceAlgorithm<T>();
    case 'uri':
      return new UriAlgorithm<T>(spec, new ScheduleAlgorithm<T>('smooth'));
    case 'random':
      return new RandomAlgorithm<T>(Math.max(1, Math.floor(spec.draws)));
  }
}

/** The algorithm for a backend's `balance` words (validated by the config; roundrobin if they cannot be read). */
export function algorithmFor<T extends BalanceTarget>(balance: string): BalanceAlgorithm<T> {
  const spec = parseBalance(balance);
  return createAlgorithm<T>('error' in spec ? { algo: 'roundrobin' } : spec);
}
