// The door of the proxy's config language, its second door beside proxy/index.ts: the config sections in HAProxy's
// words, the runtime model resolved from them, and what other parts check their own input with (the `balance`
// words, rule values, the stats page's section). It imports nothing of the engine, so lbagent.yml's composition
// (main-config/) sits on it while the running proxy (proxy/index.ts) sits on that composition: no cycle.
export * from './defs.js';
export * from './resolve.js';
export * from './config.js';
export type { AccessLogDef, Capture } from './log-config.js';
export { parseBalance } from '../balance/index.js';
export { compileValue } from '../http/rules.js';
export { statsPageSchema } from '../observe/stats-page/config.js';
export { compileLogFormat } from '../observe/log-format.js';
