// What the RPC does on a gossip node, whoever runs the node: `lbagent agent` (agent.ts) and the balancer's own
// node (node-services.ts) answer the same commands from the same code. Only leaving differs: the agent leaves and
// exits, the balancer runs its stop sequence; each says how through `onLeave`.
import type { Logger } from 'pino';
import type { KeyOp, KeyOpResult, QueryOptions, Serf, SerfEvent } from '../gossip/index.js';
import type { LogEntry, LogTap } from '../log/index.js';
import type { RpcTarget } from './rpc-target.js';

export class SerfNodeTarget implements RpcTarget {
  constructor(readonly serf: Serf, protected readonly log: Logger, protected readonly logTap: LogTap, private readonly onLeave: () => Promise<void> = async () => {}) {}

  info() {
    const me = this.serf.localMember();
    return { name: me.name, addr: me.addr, port: me.port, tags: me.tags };
  }

  members() {
    return this.serf.members();
  }

  async join(addrs: string[], replay: boolean): Promise<number> {
    this.log.info(`agent: joining: ${JSON.stringify(addrs)} replay: ${replay}`);
    const n = await this.serf.join(addrs, replay);
    this.log.info(`agent: joined: ${n} nodes`);
    return n;
  }

  leave(): Promise<void> {
    return this.onLeave();
  }

  forceLeave(node: string, prune: boolean): Promise<void> {
    this.log.info(`agent: force leaving node: ${node}${prune ? ' (prune)' : ''}`);
    return this.serf.forceLeave(node, prune);
  }

  userEvent(name: string, payload: Buffer, coalesce: boolean): Promise<void> {
    return this.serf.userEvent(name, payload, coalesce);
  }

  async setTags(set: Record<string, string>, del: string[]): Promise<void> {
    const tags = { ...this.serf.localMember().tags, ...set };
    for (const k of del) delete tags[k];
    await this.serf.setTags(tags);
  }

  stats() {
    return this.serf.stats();
  }

  monitor(minLevel: number, onLine: (e: LogEntry) => void): () => void {
    return this.logTap.subscribe(minLevel, onLine);
  }

  query(name: string, payload: Buffer, opts: QueryOptions): Promise<Array<{ from: string; payload: Buffer }>> {
    // serf's agent keeps its internal queries (key rotation, ...) to itself; only an empty _serf_ping passes.
    if (name.startsWith('_serf_') && !(name === '_serf_ping' && payload.length === 0)) return Promise.reject(new Error("Queries cannot contain the '_serf_' prefix"));
    return this.serf.query(name, payload, opts);
  }

  keyOp(op: KeyOp, key?: string): Promise<KeyOpResult> {
    return this.serf.keyOp(op, key);
  }

  subscribe(listener: (e: SerfEvent) => void): () => void {
    return this.serf.subscribe(listener);
  }

  maintenancePayload(): string {
    const me = this.serf.localMember();
    return `${me.name} ${me.addr} ${me.tags.role ?? ''}`.trimEnd();
  }
}
