// The long-running gossip agent: a Serf node, its RPC, its event handlers, and serf's lifecycle habits
// (join with retry and backoff, graceful leave on SIGINT/SIGTERM, exit when left).
import type { Logger } from 'pino';
import { createSerf, nodeAddresses, type Serf, type SerfConfig, type SerfEvent } from '../gossip/index.js';
import { LogTap } from '../log/index.js';
import { formatHostPort, type AgentOptions } from './options.js';
import { parseHandlerSpec, ScriptEventHandlers, type HandlerSpec } from './handlers.js';
import { AgentRpcServer } from './rpc.js';
import { SerfNodeTarget } from './node-target.js';
import { BadEventHandler, errorMessage, RpcListen } from '../errors/index.js';
import { MetricsHub, registerGossipMetrics } from '../metrics/index.js';

const SERF_COALESCE = { quantumMs: 3000, quiescentMs: 1000 };

export function parseHandlers(specs: string[]): HandlerSpec[] {
  return specs.map((s) => {
    const h = parseHandlerSpec(s);
    if ('error' in h) throw new BadEventHandler(h.error);
    return h;
  });
}

export class Agent extends SerfNodeTarget {
  private rpc?: AgentRpcServer;
  private handlers: ScriptEventHandlers;
  private leaving?: Promise<void>;
  /** shut down (or left) */
  stopped = false;
  private resolveDone!: () => void;
  /** Resolves when the agent has left (or shut down) and closed its RPC. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));
  rpcPort = 0;
  private readonly hub = new MetricsHub();

  private constructor(serf: Serf, readonly opts: AgentOptions, log: Logger, logTap: LogTap) {
    super(serf, log, logTap);
    this.handlers = new ScriptEventHandlers(parseHandlers(opts.eventHandlers), () => this.self(), log);
    serf.subscribe((e) => this.onEvent(e));
    registerGossipMetrics(this.hub, () => serf.stats());
    const runs = this.hub.counter('lbagent_agent_event_handler_runs_total', 'Event handler scripts run, by outcome (ok: exit status 0)', ['result']);
    this.hub.onScrape(() => {
      for (const [result, n] of Object.entries(this.handlers.runs)) runs.set({ result }, n);
    });
  }

  async metrics(): Promise<{ text: string; contentType: string }> {
    return { text: await this.hub.text(), contentType: this.hub.contentType };
  }

  /** `logTap`: the tap the logger writes to (createLogger's `tap`), for `monitor`; without one, monitors see nothing. */
  static async start(opts: AgentOptions, log: Logger, logTap = new LogTap(), overrides: Partial<SerfConfig> = {}): Promise<Agent> {
    parseHandlers(opts.eventHandlers); // fail before binding anything
    const config: SerfConfig = {
      nodeName: opts.nodeName,
      ...nodeAddresses(opts.bind, opts.advertise),
      tags: opts.tags,
      profile: opts.profile,
      encryptKeys: opts.encryptKey ? [opts.encryptKey] : undefined,
      coalesceMemberEvents: opts.coalesce ? SERF_COALESCE : false,
      coalesceUserEvents: opts.coalesce ? SERF_COALESCE : false,
      snapshotPath: opts.snapshotPath,
      rejoinAfterLeave: opts.rejoinAfterLeave,
      logger: log,
      ...overrides,
    };
    const serf = await createSerf(config);
    const agent = new Agent(serf, opts, log, logTap);
    try {
      agent.rpc = new AgentRpcServer(agent, opts.rpcAuth, log);
      const addr = await agent.rpc.listen(opts.rpcAddr.host, opts.rpcAddr.port);
      agent.rpcPort = addr.port;
    } catch (err) {
      await serf.shutdown();
      throw new RpcListen(formatHostPort(opts.rpcAddr), errorMessage(err));
    }
    const me = serf.localMember();
    log.info(`agent: lbagent agent running! Node name: '${me.name}', bind: ${formatHostPort(opts.bind)}, advertise: ${me.addr}:${me.port}, RPC: ${formatHostPort({ host: opts.rpcAddr.host, port: agent.rpcPort })}, encrypted: ${Boolean(opts.encryptKey)}, snapshot: ${opts.snapshotPath ?? false}, tags: ${JSON.stringify(me.tags)}`);
    return agent;
  }

  private self(): { name: string; tags: Record<string, string> } {
    const me = this.serf.localMember();
    return { name: me.name, tags: me.tags };
  }

  private onEvent(e: SerfEvent): void {
    if (e.type === 'user') this.log.info(`agent: Received event: user-event: ${e.name}`);
    else if (e.type === 'query') this.log.info(`agent: Received event: query: ${e.name}`);
    else this.log.info(`agent: Received event: ${e.type}`);
    this.handlers.handle(e);
  }

  /**
   * serf's retry_join: join through any of `addrs`, retrying with backoff (1 s doubling to the cap) until one
   * answers, or `maxAttempts` failed (0: no limit).
   */
  async joinWithRetry(addrs: string[], maxAttempts = 0, signal?: AbortSignal): Promise<number> {
    let delay = Math.min(1000, this.opts.retryMaxIntervalMs);
    for (let attempt = 1; ; attempt++) {
      try {
        const n = await this.join(addrs, this.opts.replayOnJoin);
        return n;
      } catch (err) {
        if (this.stopped || signal?.aborted || (maxAttempts > 0 && attempt >= maxAttempts)) throw err;
        this.log.warn(`agent: Join failed: ${errorMessage(err)}, retrying in ${delay / 1000}s (attempt ${attempt})`);
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, this.opts.retryMaxIntervalMs);
      }
    }
  }

  override leave(): Promise<void> {
    this.leaving ??= (async () => {
      this.log.info('agent: requesting graceful leave from Serf');
      try {
        await this.serf.leave();
      } catch (err) {
        this.log.warn(`agent: leave failed: ${errorMessage(err)}`);
      }
      await this.shutdown();
    })();
    return this.leaving;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info('agent: requesting serf shutdown');
    await this.serf.shutdown().catch(() => {});
    await this.handlers.idle();
    await this.rpc?.close();
    this.log.info('agent: shutdown complete');
    this.resolveDone();
  }

  /**
   * serf's SIGHUP: the config files are read again and what serf applies in place is applied: the event
   * handlers, the tags and the log level. Anything else keeps its start-time value until a restart.
   */
  async reload(next: AgentOptions): Promise<void> {
    this.handlers.update(parseHandlers(next.eventHandlers));
    if (JSON.stringify(next.tags) !== JSON.stringify(this.serf.localMember().tags)) await this.serf.setTags(next.tags);
    if (next.logLevel && next.logLevel !== this.log.level) this.log.level = next.logLevel;
  }

  /** serf's signal habits: first SIGINT/SIGTERM leaves gracefully (unless configured not to), a second one exits at once. */
  installSignalHandlers(): void {
    let count = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      count++;
      if (count > 1) {
        this.log.warn(`agent: Caught second signal ${sig}. Exiting`);
        process.exit(1);
      }
      this.log.info(`agent: Caught signal: ${sig}`);
      const graceful = sig === 'SIGINT' ? !this.opts.skipLeaveOnInterrupt : this.opts.leaveOnTerminate;
      void (graceful ? this.leave() : this.shutdown());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    this.done.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
  }
}
