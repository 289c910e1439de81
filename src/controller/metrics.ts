// The controller's Prometheus families (lbagent_controller_*), read from its stats at each scrape.
import { LATENCY_BOUNDS_MS, type MetricsHub } from '../metrics/index.js';
import type { Controller } from './controller.js';

export function registerControllerMetrics(hub: MetricsHub, controller: () => Controller | undefined): void {
  const runs = hub.counter('lbagent_controller_runs_total', 'Recomputations of the desired pools', []);
  const applies = hub.counter('lbagent_controller_applies_total', 'Server lists applied to the data plane, by result', ['result']);
  const pending = hub.gauge('lbagent_controller_pending_servers', 'Servers whose desired state the data plane does not have yet (a failed apply, retried), per backend', ['proxy']);
  const roles = hub.counter('lbagent_controller_roles_reloads_total', 'Roles applied in place (accepted), and roles.yml saves refused (the last good roles stay)', ['result']);
  const paused = hub.gauge('lbagent_controller_paused_members', 'Members paused now by a pause event (drained or in maintenance)', []);
  const ignored = hub.counter('lbagent_controller_ignored_events_total', 'User events ignored (not pause/resume, or naming no node)', []);
  hub.histogram('lbagent_controller_apply_duration_seconds', 'Time of a controller run: recompute and apply the pools', [], LATENCY_BOUNDS_MS, function* () {
    const c = controller();
    if (c) yield { labels: {}, buckets: c.stats.applyTime };
  });
  hub.onScrape(() => {
    const c = controller();
    if (!c) return;
    const s = c.stats;
    runs.set({}, s.recomputes);
    applies.set({ result: 'ok' }, s.applications - s.applyErrors);
    applies.set({ result: 'error' }, s.applyErrors);
    for (const [proxy, n] of s.pending) pending.set({ proxy }, n);
    roles.set({ result: 'accepted' }, s.rolesAccepted);
    roles.set({ result: 'refused' }, s.rolesRefused);
    paused.set({}, c.pausedCount());
    ignored.set({}, s.ignoredEvents);
  });
}
