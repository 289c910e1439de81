// serf's own RPC error strings (hashicorp/serf agent/ipc.go), answered in the Error field of a response header.
// serf's CLI and client libraries match on them, so they stay word for word: serf-compatibility constants, not
// LBA_ERR_* codes (those are for lbagent's own APIs; see src/errors/).
export const SERF_RPC_ERRORS = {
  unsupportedCommand: 'Unsupported command',
  unsupportedIpcVersion: 'Unsupported IPC version',
  duplicateHandshake: 'Handshake already performed',
  handshakeRequired: 'Handshake required',
  authRequired: 'Authentication required',
  invalidAuthToken: 'Invalid authentication token',
  monitorExists: 'Monitor with given sequence exists',
  streamExists: 'Stream with given sequence exists',
  invalidQueryId: 'No pending queries matching ID',
  unknownLogLevel: 'Unknown log level',
  regexCompile: 'Failed to compile regex',
} as const;

/** A request serf's RPC refuses: its message is the serf string the client sees. */
export class SerfRpcRefusal extends Error {
  constructor(what: string, detail?: string | number) {
    super(detail === undefined ? what : `${what}: ${detail}`);
    this.name = 'SerfRpcRefusal';
  }
}
