// Errors of the agent's HTTP+JSON RPC (serf's msgpack RPC answers serf's own strings: agent/serf-errors.ts).
import { defineError } from './lba-error.js';

export const RpcJoin = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_JOIN',
  part: 'rpc',
  message: 'Error joining the cluster: %s',
  status: 502,
});
export const RpcForceLeave = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_FORCE_LEAVE',
  part: 'rpc',
  message: 'Error force leaving: %s',
  status: 500,
});
export const RpcEvent = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_EVENT',
  part: 'rpc',
  message: 'Error sending event: %s',
  status: 400,
});
export const RpcTags = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_TAGS',
  part: 'rpc',
  message: 'Error setting tags: %s',
  status: 400,
});
export const RpcKeys = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_KEYS',
  part: 'rpc',
  message: 'Error with the keyring: %s',
  status: 400,
});
export const RpcQuery = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_QUERY',
  part: 'rpc',
  message: 'Error sending query: %s',
  status: 400,
});
export const RpcLogLevel = defineError<[level: string]>({
  code: 'LBA_ERR_RPC_LOG_LEVEL',
  part: 'rpc',
  message: 'Unknown log level: %s (expected trace, debug, info, warn or err)',
  status: 400,
});
export const RpcMemberFilter = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_MEMBER_FILTER',
  part: 'rpc',
  message: 'invalid filter: %s',
  status: 400,
});
export const RpcEventFilter = defineError<[reason: string]>({
  code: 'LBA_ERR_RPC_EVENT_FILTER',
  part: 'rpc',
  message: 'invalid event filter: %s',
  status: 400,
});
export const RpcListen = defineError<[address: string, reason: string]>({
  code: 'LBA_ERR_RPC_LISTEN',
  part: 'rpc',
  message: 'Error starting RPC listener on %s: %s',
});
