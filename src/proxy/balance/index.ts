// Entry point of the balancing algorithms: one Balancer per backend tier, chosen by HAProxy's `balance` words.
import type { Balancer, BalanceSpec, BalanceTarget } from './api.js';
import { ScheduleBalancer } from './round-robin.js';
import { LeastConnBalancer } from './least-conn.js';
import { SourceBalancer, UriBalancer } from './hash-ring.js';
import { RandomBalancer } from './random.js';

export type { Balancer, BalanceSpec, BalanceTarget, PickContext } from './api.js';
export { parseBalance, formatBalance, BALANCE_EXPECTED } from './parse.js';

export function createBalancer<T extends BalanceTarget>(spec: BalanceSpec): Balancer<T> {
  switch (spec.algo) {
    case 'roundrobin':
      return new ScheduleBalancer<T>('smooth');
    case 'static-rr':
      return new ScheduleBalancer<T>('static');
    case 'leastconn':
      return new LeastConnBalancer<T>();
    case 'source':
      return new SourceBalancer<T>();
    case 'uri':
      return new UriBalancer<T>(spec, new ScheduleBalancer<T>('smooth'));
    case 'random':
      return new RandomBalancer<T>(Math.max(1, Math.floor(spec.draws)));
  }
}
