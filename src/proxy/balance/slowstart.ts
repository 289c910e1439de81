// HAProxy's `slowstart`: a server that comes UP (joins, leaves maintenance, passes its checks again) runs at a
// fraction of its weight (and maxconn) that grows linearly to 100 % over the slowstart time. Pure math: the engine
// keeps the clock and re-balances at each step.

/**
 * The ramp moves in this many steps (HAProxy re-weights a warming server every slowstart/20), so a backend is
 * re-balanced about 20 times per ramp, not per request.
 */
export const SLOWSTART_STEPS = 20;

/** Shortest step between two re-balances of a warming backend, so a tiny slowstart cannot spin a timer. */
export const MIN_STEP_MS = 10;

export function stepMs(slowstartMs: number): number {
  return Math.max(MIN_STEP_MS, slowstartMs / SLOWSTART_STEPS);
}

/**
 * Share of full speed `elapsedMs` after the server came up: k/20 at the k-th step, 1/20 in the first step (HAProxy
 * starts a warming server at its smallest weight, never at 0), 1 once the slowstart time has passed. The same
 * instants give the same answer in every process (source and uri stay identical across workers).
 */
export function warmFraction(elapsedMs: number, slowstartMs: number): number {
  if (!(slowstartMs > 0) || !(elapsedMs < slowstartMs)) return 1;
  const step = stepMs(slowstartMs);
  const k = Math.floor(Math.max(0, elapsedMs) / step);
  return Math.max(1 / SLOWSTART_STEPS, (k * step) / slowstartMs);
}

/** When the fraction of a server that came up at `since` changes next (or the ramp ends). */
export function nextStepAt(since: number, slowstartMs: number, now: number): number {
  const step = stepMs(slowstartMs);
  const k = Math.floor(Math.max(0, now - since) / step) + 1;
  return Math.min(since + k * step, since + slowstartMs);
}

/** maxconn while warming: from 1 up to the full limit (0 = unlimited stays unlimited). */
export function warmMaxconn(maxconn: number, fraction: number): number {
  if (maxconn <= 0 || fraction >= 1) return maxconn;
  return Math.max(1, Math.ceil(maxconn * fraction));
}
