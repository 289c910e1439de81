// The door of sources/dns/: members from DNS SRV records (HAProxy's server-template with resolvers).
export { DnsMemberSource } from './source.js';
export { dnsSourceSchema, dnsSourceSettings, type DnsSourceConfig, type DnsSourceSettings } from './section.js';
export { haproxyWeight, memberName, toMembers, type SrvAnswerRecord } from './records.js';
export { resolveRound, createResolver, type Round } from './resolve.js';
