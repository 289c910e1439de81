// memberlist's timer profiles (config.go): LAN is serf's default, WAN for high latency, LOCAL for loopback/tests.
import type { Profile } from './api.js';

export interface Timers {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  indirectChecks: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  gossipToTheDeadTimeMs: number;
  retransmitMult: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  pushPullIntervalMs: number;
  tcpTimeoutMs: number;
  awarenessMaxMultiplier: number;
  deadNodeReclaimTimeMs: number;
  udpBufferSize: number;
}

const LAN: Timers = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadTimeMs: 30_000,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  tcpTimeoutMs: 10_000,
  awarenessMaxMultiplier: 8,
  deadNodeReclaimTimeMs: 0,
  udpBufferSize: 1400,
};

export const PROFILES: Record<Profile, Timers> = {
  lan: LAN,
  wan: { ...LAN, probeIntervalMs: 5000, probeTimeoutMs: 3000, gossipIntervalMs: 500, gossipNodes: 4, gossipToTheDeadTimeMs: 60_000, suspicionMult: 6, pushPullIntervalMs: 60_000, tcpTimeoutMs: 30_000 },
  local: { ...LAN, probeTimeoutMs: 200, indirectChecks: 1, gossipIntervalMs: 100, gossipToTheDeadTimeMs: 15_000, retransmitMult: 2, suspicionMult: 3, pushPullIntervalMs: 15_000, tcpTimeoutMs: 1000 },
};

/** Each broadcast is sent retransmitMult × ceil(log10(N+1)) times. */
export function retransmitLimit(mult: number, n: number): number {
  return mult * Math.ceil(Math.log10(n + 1));
}

/** Lifeguard suspicion timeout floor: SuspicionMult × max(1, log10(max(1, N))) × ProbeInterval. */
export function suspicionTimeout(mult: number, n: number, intervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(mult * nodeScale * intervalMs);
}

/** Push/pull period grows with the cluster beyond 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs;
  const mult = Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
  return intervalMs * mult;
}
