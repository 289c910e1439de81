// The door of sources/: member sources beside gossip (Consul's catalog, DNS SRV records), their section of
// lbagent.yml, and the merge of several sources into the controller's one MemberSource.
export { MergedMemberSource, mergeSources } from './merged.js';
export { sourcesSchema, type SourcesConfig } from './section.js';
export { startSources, type RunningSource } from './start.js';
export type { SourceStatus } from './status.js';
export { registerSourceMetrics } from './metrics.js';
