// The door of controller/: roles.yml and the controller's and gossip node's sections of lbagent.yml, the desired
// pools and their serialised apply (Controller), the member sources, the roles.yml watcher.
export * from './config.js';
export * from './roles.js';
export * from './controller.js';
export * from './gossip-source.js';
export * from './roles-watch.js';
export { registerControllerMetrics } from './metrics.js';
