// The gossip layer's public face: serf's API on top of memberlist. Consumers import from here.
export { createSerf } from './serf/serf.js';
export type { Serf, SerfConfig, SerfEvent, SerfMember, SerfMemberStatus } from './serf/api.js';
export { encodeTags, decodeTags } from './serf/messages.js';
