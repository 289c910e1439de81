// One place where the engine gets its balancers from HAProxy's `balance` words (validated by the config).
import { createBalancer, parseBalance } from './balance/index.js';
import type { BalanceTarget, Balancer } from './balance/api.js';

export function makeBalancer<T extends BalanceTarget>(balance: string): Balancer<T> {
  const spec = parseBalance(balance);
  return createBalancer<T>('error' in spec ? { algo: 'roundrobin' } : spec);
}
