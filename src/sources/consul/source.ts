// The Consul catalog as a member source: one blocking watch of /v1/health/service/<name> per service the mappings
// name (and, for mappings by tag, one of /v1/catalog/services to find them), turned into members after every
// answer. A watch that fails keeps its last good answer: Consul going away never empties a pool.
import type { Logger } from 'pino';
import type { Member, MemberSource, MemberSourceEvent } from '../../interfaces/index.js';
import type { ConsulClient } from './api.js';
import { parseCatalogServices, parseHealth, type HealthEntry } from './health.js';
import { buildInstances, type Instance } from './members.js';
import { BlockingWatch } from './watch.js';
import type { ServiceMapping } from './section.js';
import type { SourceStatus } from '../status.js';

export interface ConsulSourceOptions {
  client: ConsulClient;
  /** for log lines: where Consul is */
  address: string;
  mappings: readonly ServiceMapping[];
  datacenter?: string;
  waitMs: number;
  retryMs: number;
  /** least time between two queries of one watch once its burst is spent (Consul's rate-limit advice) */
  minIntervalMs: number;
  warning: 'up' | 'drain';
  log: Logger;
}

interface ServiceWatch {
  watch: BlockingWatch;
  /** the last good answer; undefined until the first */
  entries?: HealthEntry[];
  dropped: number;
  answered: boolean;
}

export class ConsulMemberSource implements MemberSource {
  private readonly services = new Map<string, ServiceWatch>();
  private catalog?: BlockingWatch;
  private catalogAnswered = false;
  private current = new Map<string, Instance>();
  private readonly listeners = new Set<(e: MemberSourceEvent) => void>();
  private readonly settled = new Set<() => void>();
  private stopped = false;
  /** failures of watches no longer running (a service that left the catalog) */
  private retiredFailures = 0;

  constructor(private readonly o: ConsulSourceOptions) {}

  start(): void {
    for (const m of this.o.mappings) if (m.name !== undefined) this.watchService(m.name);
    if (this.o.mappings.some((m) => m.tag !== undefined)) {
      this.catalog = this.watch('/v1/catalog/services', 'catalog of services', (body) => this.onCatalog(body));
      this.catalog.start();
    }
  }

  /** Resolves when every watch has answered or failed once (so the first pools are whole), or after `ms`. */
  async ready(ms: number): Promise<void> {
    const isReady = () => (!this.catalog || this.catalogAnswered) && [...this.services.values()].every((s) => s.answered);
    if (isReady()) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.settled.delete(check);
        resolve();
      };
      const check = () => {
        if (isReady()) finish();
      };
      const timer = setTimeout(finish, ms);
      this.settled.add(check);
    });
  }

  members(): Member[] {
    return [...this.current.values()].filter((i) => i.state.state !== 'removed').map((i) => ({ ...i.member, tags: { ...i.member.tags } }));
  }

  /** Not a node of its own: the merged source's first (the gossip node) names the balancer. */
  localName(): string {
    return '';
  }

  subscribe(listener: (event: MemberSourceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): SourceStatus {
    const watches = [...(this.catalog ? [this.catalog] : []), ...[...this.services.values()].map((s) => s.watch)];
    return {
      source: 'consul',
      name: this.o.address,
      members: this.members().length,
      up: watches.every((w) => !w.failing),
      failures: watches.reduce((n, w) => n + w.failuresTotal, this.retiredFailures),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.catalog?.stop(), ...[...this.services.values()].map((s) => s.watch.stop())]);
    this.o.client.close();
  }

  private watch(path: string, what: string, onAnswer: (body: unknown) => void): BlockingWatch {
    const query: Record<string, string> = {};
    if (this.o.datacenter) query.dc = this.o.datacenter;
    return new BlockingWatch({
      client: this.o.client,
      path,
      query,
      waitMs: this.o.waitMs,
      retryMs: this.o.retryMs,
      minIntervalMs: this.o.minIntervalMs,
      onAnswer,
      onFailure: (why, news) => {
        if (news) this.o.log.warn({ consul: this.o.address, path, why }, `consul: ${what}: query failed (${why}): last known members kept (${this.members().length}), retrying`);
        this.markSettled(path);
      },
      onRecovery: (failures) => this.o.log.info({ consul: this.o.address, path, failures }, `consul: ${what}: Consul answers again (after ${failures} failed ${failures === 1 ? 'query' : 'queries'})`),
    });
  }

  private markSettled(path: string): void {
    if (path === '/v1/catalog/services') this.catalogAnswered = true;
    for (const [name, s] of this.services) if (path === healthPath(name)) s.answered = true;
    for (const f of [...this.settled]) f();
  }

  private watchService(name: string): void {
    if (this.services.has(name) || this.stopped) return;
    const s: ServiceWatch = { dropped: 0, answered: false, watch: this.watch(healthPath(name), `service ${name}`, (body) => this.onHealth(name, s, body)) };
    this.services.set(name, s);
    s.watch.start();
  }

  private onHealth(name: string, s: ServiceWatch, body: unknown): void {
    const parsed = parseHealth(body);
    if (!parsed) {
      this.o.log.warn({ service: name }, `consul: service ${name}: answer is not a list of instances: ignored, last known members kept`);
    } else {
      if (parsed.dropped > 0 && parsed.dropped !== s.dropped) {
        this.o.log.warn({ service: name, dropped: parsed.dropped }, `consul: service ${name}: ${parsed.dropped} entries not of Consul's shape dropped`);
      }
      s.dropped = parsed.dropped;
      s.entries = parsed.entries;
      this.recompute();
    }
    this.markSettled(healthPath(name));
  }

  private onCatalog(body: unknown): void {
    const catalog = parseCatalogServices(body);
    if (!catalog) {
      this.o.log.warn(`consul: catalog of services: answer is not a map of services: ignored`);
    } else {
      const wanted = new Set<string>();
      for (const m of this.o.mappings) {
        if (m.name !== undefined) wanted.add(m.name);
        else for (const [name, tags] of catalog) if (tags.includes(m.tag ?? '')) wanted.add(name);
      }
      for (const name of wanted) this.watchService(name);
      // a service that lost its tag or left the catalog: that is Consul's word, not a failure
      let dropped = false;
      for (const [name, s] of this.services) {
        if (wanted.has(name)) continue;
        this.o.log.info({ service: name }, `consul: service ${name} no longer in the catalog with a mapped tag: no longer watched`);
        void s.watch.stop();
        this.retiredFailures += s.watch.failuresTotal; // the counter never goes back
        this.services.delete(name);
        dropped = true;
      }
      if (dropped) this.recompute();
    }
    this.markSettled('/v1/catalog/services');
  }

  private recompute(): void {
    if (this.stopped) return;
    const byService = new Map<string, HealthEntry[]>();
    for (const [name, s] of this.services) if (s.entries) byService.set(name, s.entries);
    const next = new Map(buildInstances(byService, this.o.mappings, this.o.warning).map((i) => [i.member.name, i]));
    const joined: Member[] = [];
    const updated: Member[] = [];
    const gone: Member[] = [];
    for (const [name, i] of next) {
      const was = this.current.get(name);
      const line = transition(was, i);
      if (line) this.o.log.info({ service: i.service, member: name, state: i.state.state, why: i.state.why }, line);
      const wasIn = was !== undefined && was.state.state !== 'removed';
      const isIn = i.state.state !== 'removed';
      if (isIn && !wasIn) joined.push(i.member);
      else if (wasIn && !isIn) gone.push(i.member);
      else if (isIn && was && !sameMember(was, i)) updated.push(i.member);
    }
    for (const [name, was] of this.current) {
      if (next.has(name)) continue;
      this.o.log.info({ service: was.service, member: name }, `consul: service ${was.service}: ${name} ${hostPort(was.member)} deregistered: removed`);
      if (was.state.state !== 'removed') gone.push(was.member);
    }
    this.current = next;
    if (joined.length) this.emit({ type: 'member-join', members: joined });
    if (updated.length) this.emit({ type: 'member-update', members: updated });
    if (gone.length) this.emit({ type: 'member-reap', members: gone });
  }

  private emit(e: MemberSourceEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}

const healthPath = (name: string) => `/v1/health/service/${encodeURIComponent(name)}`;

function hostPort(m: Member): string {
  return m.addr.includes(':') ? `[${m.addr}]:${m.port}` : `${m.addr}:${m.port}`;
}

const WORD = { up: 'UP', drain: 'DRAIN', removed: 'removed' } as const;

/** One log line per transition, in HAProxy's words for server states. */
function transition(was: Instance | undefined, i: Instance): string | undefined {
  const at = `consul: service ${i.service}: ${i.member.name} ${hostPort(i.member)}`;
  if (!was) return `${at} registered: ${WORD[i.state.state]} (${i.state.why})`;
  if (was.state.state !== i.state.state) return `${at} is ${WORD[i.state.state]} (was ${WORD[was.state.state]}): ${i.state.why}`;
  if (was.member.addr !== i.member.addr || was.member.port !== i.member.port) return `${at} moved (was ${hostPort(was.member)})`;
  return undefined;
}

function sameMember(a: Instance, b: Instance): boolean {
  const x = a.member;
  const y = b.member;
  return x.addr === y.addr && x.port === y.port && x.admin === y.admin && x.adminReason === y.adminReason && JSON.stringify(x.tags) === JSON.stringify(y.tags);
}
