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
  /** the RPC's port, 0 when there is no RPC */
  rpcPort: number;
  /** replace the handler scripts (a reload) */
  setEventHandlers(specs: string[]): void;
  /** stop the RPC; the handlers still queued run to their end first */
  close(): Promise<void>;
}

export async function startNodeServices(serf: Serf, opts: NodeServicesOptions, log: Logger, logTap: LogTap): Promise<NodeServices> {
  const self = () => {
    const me = serf.localMember();
    return { name: me.name, tags: me.tags };
  };
  const handlers = new ScriptEventHandlers(parseHandlers(opts.eventHandlers), self, log);
  const unsubscribe = serf.subscribe((e: SerfEvent) => handlers.handle(e));
  let rpc: AgentRpcServer | undefined;
  let rpcPort = 0;
  if (opts.rpcAddr) {
    const server = new AgentRpcServer(new SerfNodeTarget(serf, log, logTap, opts.onLeave), opts.rpcAuth, log);
    const where = formatHostPort(opts.rpcAddr);
    try {
      rpcPort = (await server.listen(opts.rpcAddr.host, opts.rpcAddr.port)).port;
      rpc = server;
      log.info(`agent: RPC listening on ${formatHostPort({ host: opts.rpcAddr.host, port: rpcPort })} (serf's msgpack RPC and lbagent's HTTP RPC)`);
    } catch (err) {
      if (!opts.rpcOptional) {
        unsubscribe();
        throw new RpcListen(where, errorMessage(err));
      }
      log.warn(`agent: RPC not started: ${where}: ${errorMessage(err)} (another agent holds it? set gossip.rpc_addr to another address, or false)`);
    }
  }
  return {
    rpcPort,
    setEventHandlers: (specs) => handlers.update(parseHandlers(specs)),
    async close() {
      unsubscribe();
      await handlers.idle();
      await rpc?.close();
    },
  };
}
