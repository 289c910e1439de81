// The door of interfaces/: the seams between the controller and what feeds it (MemberSource) and what it drives
// (PoolDriver).
export * from './member-source.js';
export * from './pool-driver.js';
