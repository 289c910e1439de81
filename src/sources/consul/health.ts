// Consul's health answers: the shape of /v1/health/service/<name> (checked, since it comes off the network) and
// what an instance's checks make of it as a server. Maintenance mode (`consul maint`) is a critical check with a
// reserved id: `_node_maintenance` for the node, `_service_maintenance:<service id>` for one service.
import { z } from 'zod';

const check = z.object({
  CheckID: z.string(),
  Name: z.string().optional(),
  Status: z.string(),
  Notes: z.string().nullish(),
  Output: z.string().nullish(),
  ServiceID: z.string().nullish(),
});
export type HealthCheck = z.output<typeof check>;

const strings = z.record(z.string(), z.string()).nullish();
const entry = z.object({
  Node: z.object({ Node: z.string().min(1), Address: z.string(), Datacenter: z.string().optional() }),
  Service: z.object({
    ID: z.string().min(1),
    Service: z.string().min(1),
    Tags: z.array(z.string()).nullish(),
    Address: z.string().nullish(),
    Meta: strings,
    Port: z.number().int().min(0).max(65535),
  }),
  Checks: z.array(check).nullish(),
});
export type HealthEntry = z.output<typeof entry>;

export const NODE_MAINT = '_node_maintenance';
export const SERVICE_MAINT_PREFIX = '_service_maintenance:';

/** A health answer's entries; those not of Consul's shape are dropped and counted. */
export function parseHealth(body: unknown): { entries: HealthEntry[]; dropped: number } | undefined {
  if (!Array.isArray(body)) return undefined;
  const entries: HealthEntry[] = [];
  let dropped = 0;
  for (const e of body) {
    const r = entry.safeParse(e);
    if (r.success) entries.push(r.data);
    else dropped++;
  }
  return { entries, dropped };
}

/** /v1/catalog/services: service name → the union of its instances' tags. */
export function parseCatalogServices(body: unknown): Map<string, string[]> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const out = new Map<string, string[]>();
  for (const [name, tags] of Object.entries(body)) {
    out.set(name, Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : []);
  }
  return out;
}

export type InstanceState = { state: 'up' | 'drain' | 'removed'; why: string };

const said = (c: HealthCheck) => {
  const text = (c.Notes || c.Output || '').trim().split('\n')[0]?.slice(0, 120);
  return text ? `: ${JSON.stringify(text)}` : '';
};

/**
 * What Consul's checks make of an instance: maintenance (node or service) → drain; any other check critical (or
 * of a status Consul does not document) → removed; warning → `warning` (up or drain); all passing → up.
 */
export function instanceState(checks: readonly HealthCheck[], serviceId: string, warning: 'up' | 'drain'): InstanceState {
  const nodeMaint = checks.find((c) => c.CheckID === NODE_MAINT);
  if (nodeMaint) return { state: 'drain', why: `node maintenance${said(nodeMaint)}` };
  const serviceMaint = checks.find((c) => c.CheckID === `${SERVICE_MAINT_PREFIX}${serviceId}`);
  if (serviceMaint) return { state: 'drain', why: `service maintenance${said(serviceMaint)}` };
  const name = (c: HealthCheck) => `check '${c.Name || c.CheckID}'`;
  const bad = checks.find((c) => c.Status !== 'passing' && c.Status !== 'warning');
  if (bad) return { state: 'removed', why: `${name(bad)} ${bad.Status}${said(bad)}` };
  const warn = checks.find((c) => c.Status === 'warning');
  if (warn) return { state: warning, why: `${name(warn)} warning${said(warn)} (warning: ${warning})` };
  return { state: 'up', why: checks.length ? 'checks passing' : 'no checks' };
}
