// The door of the error catalogue: every LBA_ERR_* code, one file per part. Loading this module loads them all,
// so catalogue() is complete (the docs table is checked against it).
export * from './lba-error.js';
export * from './config.js';
export * from './api.js';
export * from './rpc.js';
export * from './admin.js';
export * from './driver.js';
export * from './gossip.js';
export * from './proxy.js';
export * from './cli.js';
