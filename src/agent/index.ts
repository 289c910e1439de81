// The door of agent/: the agent's options (flags, config file), the RPC client the CLI speaks with, the shapes
// the RPC answers with. The agent itself (RPC server, gossip node, handlers) is loaded on demand by the command
// that runs it, so every other command starts without it.
export * from './options.js';
export * from './client.js';
export * from './rpc-target.js';
export * from './serf-client.js';
export type { Agent } from './agent.js';
export const loadAgent = () => import('./agent.js');
export { parseHandlerSpec } from './handlers.js';
export type { NodeServices, NodeServicesOptions } from './node-services.js';
/** The agent's handlers and RPC around a node someone else runs (the balancer's), loaded on demand. */
export const loadNodeServices = () => import('./node-services.js');
