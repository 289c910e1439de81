// The door of balancer/: the program `lbagent balancer` runs: the control plane (gossip node, controller, roles
// watcher) over the data plane the proxy part starts, the one validation of its files, reloads, its state folder.
export * from './control-plane.js';
export * from './validate.js';
export * from './reload.js';
export * from './state-dir.js';
