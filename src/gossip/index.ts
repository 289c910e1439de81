// The gossip part's door: serf's API on top of memberlist, and the few gossip rules other parts apply to their own
// input (node names, tags, join addresses). Everything outside src/gossip imports from here; tests may reach in.
export { createSerf } from './serf/serf.js';
export { nodeAddresses } from './serf/api.js';
export type { QueryOptions, Serf, SerfConfig, SerfEvent, SerfMember, SerfMemberStatus, SerfStats } from './serf/api.js';
export type { KeyOp, KeyOpResult } from './serf/keys.js';
export { encodeTags, decodeTags } from './serf/messages.js';
export { compileFilterRegex, type CompiledRegex } from './serf/filter-regex.js';
export type { Profile } from './memberlist/api.js';
export { META_MAX, NODE_NAME_MAX, nodeNameProblem } from './memberlist/validate.js';
export { DEFAULT_GOSSIP_PORT, parseJoinAddr, portProblem } from '../net/index.js';
/** serf's RPC sends a member's address as memberlist's bytes (4, or 16 for IPv6). */
export { ipToBytes } from './memberlist/codec.js';
