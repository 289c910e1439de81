// Consul instances as members: which role each gets from the mappings, its name, address, port, weight and the
// admin state its checks ask for. Pure: the source calls it after every answer and compares.
import type { Member } from '../../interfaces/index.js';
import { instanceState, type HealthEntry, type InstanceState } from './health.js';
import type { ServiceMapping } from './section.js';

export interface Instance {
  /** the Consul service it belongs to */
  service: string;
  state: InstanceState;
  /** the member it is, also when its checks remove it (the source then leaves it out) */
  member: Member;
}

/** Server names are member names: keep to the characters the controller keeps (its serverName). */
const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The roles the mappings give one instance (several mappings may match it). */
export function instanceRoles(e: HealthEntry, mappings: readonly ServiceMapping[]): string[] {
  const roles = new Set<string>();
  for (const m of mappings) {
    const matches = m.name !== undefined ? e.Service.Service === m.name : (e.Service.Tags ?? []).includes(m.tag ?? '');
    if (!matches) continue;
    const role = m.role ?? (m.role_meta !== undefined ? e.Service.Meta?.[m.role_meta] : e.Service.Service);
    for (const r of (role ?? '').split(',')) if (r.trim()) roles.add(r.trim());
  }
  return [...roles];
}

/** Consul's meta `weight` as HAProxy's weight (0..256); anything else is no weight. */
export function metaWeight(e: HealthEntry): string | undefined {
  const w = e.Service.Meta?.weight?.trim();
  return w !== undefined && /^\d{1,3}$/.test(w) && Number(w) <= 256 ? String(Number(w)) : undefined;
}

/** Every instance of the watched services that some mapping gives a role, in a stable order. */
export function buildInstances(byService: ReadonlyMap<string, readonly HealthEntry[]>, mappings: readonly ServiceMapping[], warning: 'up' | 'drain'): Instance[] {
  const out: Instance[] = [];
  const taken = new Set<string>();
  for (const service of [...byService.keys()].sort()) {
    const entries = [...(byService.get(service) ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    for (const e of entries) {
      const roles = instanceRoles(e, mappings);
      if (roles.length === 0) continue;
      // node + service id: unique in a datacenter (ids are unique per node); made safe, a clash gets a suffix
      let name = `${safe(e.Node.Node)}.${safe(e.Service.ID)}`;
      for (let i = 2; taken.has(name); i++) name = `${safe(e.Node.Node)}.${safe(e.Service.ID)}-${i}`;
      taken.add(name);
      const state = instanceState(e.Checks ?? [], e.Service.ID, warning);
      const tags: Record<string, string> = { role: roles.join(','), service: e.Service.Service };
      if (e.Service.Port > 0) tags.port = String(e.Service.Port);
      const weight = metaWeight(e);
      if (weight !== undefined) tags.weight = weight;
      const member: Member = { name, addr: e.Service.Address || e.Node.Address, port: e.Service.Port, tags, status: 'alive' };
      if (state.state === 'drain') {
        member.admin = 'drain';
        member.adminReason = `consul: ${state.why}: drain`;
      }
      out.push({ service, state, member });
    }
  }
  return out;
}

const key = (e: HealthEntry) => `${e.Node.Node}\u0000${e.Service.ID}`;
