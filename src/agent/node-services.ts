// What `lbagent agent` adds around a gossip node, for a node someone else runs (the balancer's): serf's event
// handlers and the RPC address (serf's msgpack RPC and lbagent's HTTP RPC), from the same code the agent uses, so
// a balancer host keeps its serf scripts and its `serf members` without a second agent.
import type { Logger } from 'pino';
import type { Serf, SerfEvent } from '../gossip/index.js';
import type { LogTap } from '../log/index.js';
import { errorMessage, RpcListen } from '../errors/index.js';
import { formatHostPort, type HostPort } from '../net/index.js';
import { parseHandlers } from './agent.js';
import { ScriptEventHandlers } from './handlers.js';
import { SerfNodeTarget } from './node-target.js';
import { AgentRpcServer } from './rpc.js';

export interface NodeServicesOptions {
  /** serf's `[FILTER=]SCRIPT` handler specs (validated with the config) */
  eventHandlers: string[];
  /** where the RPC listens; none: no RPC */
  rpcAddr?: HostPort;
  rpcAuth?: string;
  /** an RPC address taken by someone else is only a warning (the default address: an agent may hold it) */
  rpcOptional?: boolean;
  /** `serf leave` / `lbagent leave` on this RPC: the owner's stop sequence */
  onLeave: () => Promise<void>;
}

export interface NodeServices {
  /** the RPC's port, 0 when there is no RPC (or before `listen`) */
  rpcPort: number;
  /** open the RPC address (LBA_ERR_RPC_LISTEN when it cannot be bound, unless `rpcOptional`) */
  listen(): Promise<void>;
  /** replace the handler scripts (a reload) */
  setEventHandlers(specs: string[]): void;
  /** stop the RPC; the handlers still queued run to their end first */
  close(): Promise<void>;
}

/**
 * The handlers subscribe at once (call this right after creating the node, before anything awaits, so they see the
 * snapshot's rejoins and replayed events as serf agent's handlers do); the RPC opens with `listen`.
 */
export function startNodeServices(serf: Serf, opts: NodeServicesOptions, log: Logger, logTap: LogTap): NodeServices {
  const self = () => {
    const me = serf.localMember();
    return { name: me.name, tags: me.tags };
  };
  const handlers = new ScriptEventHandlers(parseHandlers(opts.eventHandlers), self, log);
  const unsubscribe = serf.subscribe((e: SerfEvent) => handlers.handle(e));
  let rpc: AgentRpcServer | undefined;
  const services: NodeServices = {
    rpcPort: 0,
    async listen() {
      if (!opts.rpcAddr || rpc) return;
      const server = new AgentRpcServer(new SerfNodeTarget(serf, log, logTap, opts.onLeave), opts.rpcAuth, log);
      const where = formatHostPort(opts.rpcAddr);
      try {
        services.rpcPort = (await server.listen(opts.rpcAddr.host, opts.rpcAddr.port)).port;
        rpc = server;
        log.info(`agent: RPC listening on ${formatHostPort({ host: opts.rpcAddr.host, port: services.rpcPort })} (serf's msgpack RPC and lbagent's HTTP RPC)`);
      } catch (err) {
        if (!opts.rpcOptional) throw new RpcListen(where, errorMessage(err));
        log.warn(`agent: RPC not started: ${where}: ${errorMessage(err)} (another agent holds it? set gossip.rpc_addr to another address, or false)`);
      }
    },
    setEventHandlers: (specs) => handlers.update(parseHandlers(specs)),
    async close() {
      unsubscribe();
      await handlers.idle();
      await rpc?.close();
    },
  };
  return services;
}
