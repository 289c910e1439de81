// The door of net/: host:port addresses, parsed, checked and written in one place (see address.ts).
export * from './address.js';
