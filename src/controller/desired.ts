// The desired pools as a pure function of what is known now: members (with how long they have been in their
// status), pauses, roles.yml and the clock. Level-triggered: the controller calls it again after every change,
// and it returns the whole picture, never a delta.
import type { Member, MemberStatus } from '../interfaces/index.js';
import type { AdminState, ServerCheckOverrides, ServerSpec } from '../interfaces/index.js';
import { pausesByMember, type PauseRecord } from './pauses.js';
import { BALANCER_ROLE, type BackendRef, type CheckOverrides, type RoleDef, type RolesConfig } from './roles.js';

/** A member and the time (ms since epoch) it entered its current status. */
export interface ObservedMember extends Member {
  since: number;
}

export interface DesiredOptions {
  /** the balancer's own node: never in a pool */
  localName?: string;
  /** admin state of a paused node (HAProxy words: drain keeps sessions, maint cuts new and persistent ones) */
  pauseState: 'drain' | 'maint';
  /** a failed member stays in maint this long, then leaves the pool */
  failedGraceMs: number;
  /** a leaving/left member drains this long, then leaves the pool */
  leaveGraceMs: number;
  /** traffic port when neither roles.yml, the member's `port` tag nor the backend's port says */
  defaultPort?: number;
  /** each backend's own port (lbagent.yml `backends.NAME.port`): after the role's and the member's, before defaults.port */
  backendPorts?: ReadonlyMap<string, number>;
  /** Backends the data plane has; refs to others are reported, not used. Undefined: all allowed. */
  knownBackends?: ReadonlySet<string>;
  /**
   * Fail static: when more than `pct` % of a pool's members (two at least) are failed in gossip, those of them whose servers still
   * pass their health checks (`passing`: "backend/server") stay in rotation. That is how a partition between the
   * balancer and the gossip cluster looks (Envoy's panic threshold is the same idea); a server failing its checks
   * goes as before.
   */
  failStatic?: { pct: number; passing: ReadonlySet<string> };
}

/** Short word for why a server is in its state, used in the controller's log lines. */
export type Cause = 'join' | 'pause' | 'failed' | 'leave' | 'fail static' | 'source';

export interface DesiredServer extends ServerSpec {
  member: string;
  cause: Cause;
}

export interface DesiredResult {
  pools: Map<string, DesiredServer[]>;
  /** backends in fail static now, with how many of their members gossip says failed */
  failStatic: Map<string, { failed: number; of: number; kept: number }>;
  /** roles seen on members that roles.yml does not define (the balancer role excluded) */
  unknownRoles: Set<string>;
  /** backends roles.yml names that the data plane does not have */
  unknownBackends: Set<string>;
  /** earliest time a grace period ends and the answer changes by itself; undefined if none pending */
  nextChangeAt?: number;
}

/** Server names follow member names so stats, cookies and logs keep them across restarts. */
export function serverName(member: string): string {
  const n = member.replace(/[^A-Za-z0-9_.-]/g, '_');
  return n.length > 0 ? n : '_';
}

/** A member's roles: the `role` tag, comma-separated for members with several. */
export function memberRoles(m: Member): string[] {
  const tag = m.tags.role;
  if (!tag) return [];
  return [...new Set(tag.split(',').map((r) => r.trim()).filter(Boolean))];
}

export function desiredPools(
  members: readonly ObservedMember[],
  pauses: ReadonlyMap<string, PauseRecord>,
  roles: RolesConfig,
  options: DesiredOptions,
  now: number,
): DesiredResult {
  const pools = new Map<string, DesiredServer[]>();
  const unknownRoles = new Set<string>();
  const unknownBackends = new Set<string>();
  let nextChangeAt: number | undefined;

  // Every backend roles.yml names gets an entry, so one whose last server went away is emptied.
  for (const role of Object.values(roles.roles)) {
    for (const ref of [...(role.lb ?? []), ...(role.monitor ?? [])]) {
      if (options.knownBackends && !options.knownBackends.has(ref.backend)) unknownBackends.add(ref.backend);
      else pools.set(ref.backend, []);
    }
  }

  const failedMembers = new Set<string>();
  const expiredMembers = new Set<string>();
  const sorted = [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const memberPauses = pausesByMember(sorted.map((m) => m.name), pauses);
  for (const m of sorted) {
    if (m.name === options.localName) continue;
    const placement = placeMember(m, memberPauses.get(m.name), options, now);
    if (!placement) continue;
    if (placement.until !== undefined) nextChangeAt = Math.min(nextChangeAt ?? Infinity, placement.until);
    if (placement.cause === 'failed') failedMembers.add(m.name);
    if (placement.expired) expiredMembers.add(m.name);
    for (const roleName of memberRoles(m)) {
      if (roleName === BALANCER_ROLE) continue;
      const role = roles.roles[roleName];
      if (!role) {
        unknownRoles.add(roleName);
        continue;
      }
      const entries: Array<[BackendRef, boolean]> = [
        ...(role.lb ?? []).map((r): [BackendRef, boolean] => [r, false]),
        ...(role.monitor ?? []).map((r): [BackendRef, boolean] => [r, true]),
      ];
      for (const [ref, monitorOnly] of entries) {
        const list = pools.get(ref.backend);
        if (!list) continue; // unknown backend, reported above
        const name = serverName(m.name);
        if (list.some((s) => s.name === name)) continue; // two roles of one member in one backend: the first wins
        list.push(buildServer(m, name, ref, role, roles.defaults, monitorOnly, placement, options));
      }
    }
  }
  const failStatic = applyFailStatic(pools, failedMembers, expiredMembers, options.failStatic);
  return { pools, unknownRoles, unknownBackends, nextChangeAt, failStatic };
}

/**
 * Failed members of a pool over the fail-static share: those passing their checks are put back in rotation;
 * otherwise (and for pools under the share) failed members past failed_grace leave the pool.
 */
/** The fewest failed members of a pool that can mean a partition rather than failures. */
const FAIL_STATIC_MIN = 2;

function applyFailStatic(
  pools: Map<string, DesiredServer[]>,
  failed: ReadonlySet<string>,
  expired: ReadonlySet<string>,
  fs: DesiredOptions['failStatic'],
): DesiredResult['failStatic'] {
  const out: DesiredResult['failStatic'] = new Map();
  for (const [backend, list] of pools) {
    const failedHere = list.filter((s) => failed.has(s.member)).length;
    // one member failing is a failure, not a partition: fail static needs several failed at once
    const over = fs !== undefined && failedHere >= FAIL_STATIC_MIN && failedHere * 100 > fs.pct * list.length;
    let kept = 0;
    const next: DesiredServer[] = [];
    for (const s of list) {
      if (over && failed.has(s.member) && fs.passing.has(`${backend}/${s.name}`)) {
        kept++;
        next.push({ ...s, state: 'ready', cause: 'fail static', reason: `${(s.reason ?? '').split(';')[0]}; member failed in gossip but passes its health checks: kept in rotation (fail static: ${failedHere} of ${list.length} members failed)` });
      } else if (!expired.has(s.member)) next.push(s);
    }
    pools.set(backend, next);
    if (over) out.set(backend, { failed: failedHere, of: list.length, kept });
  }
  return out;
}

interface Placement {
  state: AdminState;
  cause: Cause;
  reason: string;
  /** when this placement expires (end of a grace period) */
  until?: number;
  /** a failed member past failed_grace: out of the pool unless fail static keeps it */
  expired?: boolean;
  /** when a failed member failed */
  since?: number;
}

/** Where a member's status and pause put it, or undefined if it is out of every pool. */
function placeMember(m: ObservedMember, pause: PauseRecord | undefined, o: DesiredOptions, now: number): Placement | undefined {
  // Reasons name instants, not ages, so they only change when the state does.
  const at = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const secs = (ms: number) => `${+(ms / 1000).toFixed(3)}s`;
  const status: MemberStatus = m.status;
  if (status === 'failed') {
    const until = m.since + o.failedGraceMs;
    // past its grace it is still placed, expired: fail static may keep it (applyFailStatic drops it otherwise)
    if (now >= until) return { state: 'maint', cause: 'failed', reason: `member failed at ${at(m.since)}: removed at ${at(until)} (failed_grace ${secs(o.failedGraceMs)})`, expired: true, since: m.since };
    return { state: 'maint', cause: 'failed', reason: `member failed at ${at(m.since)}: maint; removed at ${at(until)} (failed_grace ${secs(o.failedGraceMs)})`, until, since: m.since };
  }
  if (status === 'leaving' || status === 'left') {
    const until = m.since + o.leaveGraceMs;
    if (now >= until) return undefined;
    return { state: 'drain', cause: 'leave', reason: `member ${status} at ${at(m.since)}: drain; removed at ${at(until)} (leave_grace ${secs(o.leaveGraceMs)})`, until };
  }
  if (pause?.paused) {
    return { state: o.pauseState, cause: 'pause', reason: `paused by user event 'pause' (ltime ${pause.ltime}): ${o.pauseState}` };
  }
  if (m.admin === 'drain') return { state: 'drain', cause: 'source', reason: m.adminReason ?? 'drained by its member source' };
  const resumed = pause ? ` (resumed at ltime ${pause.ltime})` : '';
  return { state: 'ready', cause: 'join', reason: `member alive${resumed}` };
}

function buildServer(
  m: ObservedMember,
  name: string,
  ref: BackendRef,
  role: RoleDef,
  defaults: RolesConfig['defaults'],
  monitorOnly: boolean,
  p: Placement,
  o: DesiredOptions,
): DesiredServer {
  const spec: DesiredServer = {
    name,
    addr: m.addr,
    port: serverPort(m, ref, role, defaults, o),
    member: m.name,
    cause: p.cause,
    state: p.state,
    reason: `role ${m.tags.role}${monitorOnly ? ' (monitor only)' : ''}; ${p.reason}`,
  };
  // a member's own `weight` and `backup` tags (Consul's meta weight, DNS SRV weight and priority) are below
  // roles.yml's, as its `port` tag is
  const weight = ref.weight ?? role.weight ?? tagNumber(m, 'weight', 0, 256) ?? defaults?.weight;
  if (weight !== undefined) spec.weight = weight;
  const backup = ref.backup ?? role.backup ?? tagBool(m.tags.backup) ?? defaults?.backup;
  if (backup) spec.backup = true;
  if (monitorOnly) spec.monitorOnly = true;
  // unset: the backend's own `slowstart` applies in the data plane
  const slowstart = ref.slowstart ?? role.slowstart ?? defaults?.slowstart;
  if (slowstart !== undefined) spec.slowstart = slowstart;
  spec.check = toCheck({ ...defaults?.check, ...role.check, ...ref.check });
  return spec;
}

/** The traffic port: roles.yml's entry, its role, the member's `port` tag, the backend's port, roles.yml's defaults. */
function serverPort(m: ObservedMember, ref: BackendRef, role: RoleDef, defaults: RolesConfig['defaults'], o: DesiredOptions): number {
  return ref.port ?? role.port ?? tagNumber(m, 'port', 1, 65535) ?? o.backendPorts?.get(ref.backend) ?? defaults?.port ?? o.defaultPort ?? 80;
}

/** A member's numeric tag when it is an integer in [min, max]. */
function tagNumber(m: Member, tag: string, min: number, max: number): number | undefined {
  const v = m.tags[tag];
  const n = v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function tagBool(v: string | undefined): boolean | undefined {
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

/** Servers from roles are health-checked (the backend's check, TCP connect if it has none) unless disabled. */
function toCheck(c: CheckOverrides): ServerCheckOverrides {
  const out: ServerCheckOverrides = { enabled: c.enabled ?? true };
  if (c.interval !== undefined) out.inter = c.interval;
  if (c.rise !== undefined) out.rise = c.rise;
  if (c.fall !== undefined) out.fall = c.fall;
  if (c.port !== undefined) out.port = c.port;
  return out;
}

/** The ServerSpec the driver gets: our bookkeeping fields stripped. */
export function toSpec(s: DesiredServer): ServerSpec {
  const { member: _m, cause: _c, ...spec } = s;
  return spec;
}
