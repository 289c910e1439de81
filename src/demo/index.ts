// The door of demo/: `lbagent demo` (a balancer and app servers on this host) and its app server.
export * from './demo.js';
export * from './app-server.js';
