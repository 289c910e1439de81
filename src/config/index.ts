export * from './errors.js';
export * from './duration.js';
export * from './load.js';
export * from './schema-helpers.js';
export * from './loopback.js';
export * from './token.js';
