// The door of log/: the pino logger and the tap `lbagent monitor` streams from.
export * from './logger.js';
export * from './tap.js';
