// The door of the proxy's model: the config sections in HAProxy's words, and the runtime model resolved from them.
export * from './defs.js';
export * from './resolve.js';
export * from './config.js';
