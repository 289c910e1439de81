// The agent's options: serf's agent settings, from a config file (YAML, or serf's JSON agent config:
// JSON is YAML, so one loader gives file:line:col errors for both) overlaid by command-line flags.
import { hostname } from 'node:os';
import { BadAddress, RpcRemoteNoAuth } from '../errors/index.js';
import { isLoopback } from '../config/index.js';
import type { ConfigError, ConfigResult } from '../config/index.js';
import { DEFAULT_GOSSIP_PORT, encodeTags, META_MAX, NODE_NAME_MAX, nodeNameProblem, parseJoinAddr, type Profile } from '../gossip/index.js';
import type { AgentFile } from './config-file.js';
import { formatHostPort, hostPortProblem, parseHostPort, type HostPort } from '../net/index.js';

export { DEFAULT_GOSSIP_PORT, formatHostPort, hostPortProblem, parseHostPort, type HostPort };
export const DEFAULT_RPC_ADDR = '127.0.0.1:7373';

export interface AgentOptions {
  nodeName: string;
  bind: HostPort;
  advertise?: HostPort;
  rpcAddr: HostPort;
  rpcAuth?: string;
  /** allow an RPC address that is not loopback (off by default: the RPC can make the node leave) */
  rpcAllowRemote: boolean;
  /** the operator's explicit yes to a remote RPC without an auth key (else refused: LBA_ERR_RPC_REMOTE_NO_AUTH) */
  rpcAllowUnauthenticated: boolean;
  tags: Record<string, string>;
  encryptKey?: string;
  /** joined once at start; a failure stops the agent (serf's start_join, -join) */
  startJoin: string[];
  /** joined in the background, retried until one answers (serf's retry_join, -retry-join) */
  retryJoin: string[];
  /** give up (and exit) after this many failed retry_join attempts; 0 = never (serf's retry_max_attempts) */
  retryMaxAttempts: number;
  replayOnJoin: boolean;
  eventHandlers: string[];
  logLevel: string;
  profile: Profile;
  /** coalesce member and user events before handlers (serf agent's default) */
  coalesce: boolean;
  /** serf: SIGINT leaves unless skip_leave_on_interrupt; lbagent leaves on SIGTERM too (shutdown scripts) */
  leaveOnTerminate: boolean;
  skipLeaveOnInterrupt: boolean;
  /** the wait between retry_join attempts grows from 1 s to this cap (serf's retry_interval, 30 s) */
  retryMaxIntervalMs: number;
  /** serf's -snapshot / snapshot_path: members and clocks kept here, rejoined at start */
  snapshotPath?: string;
  /** serf's -rejoin / rejoin_after_leave: rejoin the snapshot's members even after a graceful leave */
  rejoinAfterLeave: boolean;
}

export interface AgentFlags {
  node?: string;
  bind?: string;
  advertise?: string;
  role?: string;
  tag?: string[];
  encrypt?: string;
  'rpc-addr'?: string;
  'rpc-auth'?: string;
  'rpc-allow-remote'?: boolean;
  'rpc-allow-unauthenticated'?: boolean;
  config?: string[];
  'log-level'?: string;
  'event-handler'?: string[];
  profile?: string;
  replay?: boolean;
  join?: string[];
  'retry-join'?: string[];
  'retry-max'?: string;
  'retry-interval'?: string;
  coalesce?: boolean;
  snapshot?: string;
  rejoin?: boolean;
}

/** parseArgs option table shared by `lbagent agent` and `lbagent join`. */
export const agentFlagSpec = {
  node: { type: 'string' },
  bind: { type: 'string' },
  advertise: { type: 'string' },
  role: { type: 'string' },
  tag: { type: 'string', multiple: true },
  encrypt: { type: 'string' },
  'rpc-addr': { type: 'string' },
  'rpc-auth': { type: 'string' },
  'rpc-allow-remote': { type: 'boolean' },
  'rpc-allow-unauthenticated': { type: 'boolean' },
  config: { type: 'string', multiple: true },
  'config-file': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'event-handler': { type: 'string', multiple: true },
  profile: { type: 'string' },
  replay: { type: 'boolean' },
  join: { type: 'string', multiple: true },
  'retry-join': { type: 'string', multiple: true },
  'retry-max': { type: 'string' },
  'retry-interval': { type: 'string' },
  coalesce: { type: 'boolean' },
  snapshot: { type: 'string' },
  rejoin: { type: 'boolean' },
} as const;

const flagError = (key: string, message: string, expected: string): ConfigError => ({ file: 'command line', line: 1, col: 1, key: `--${key}`, message, expected });

/**
 * Build the agent options: defaults, then each config file in order, then flags (serf's order). The config-file
 * reader (YAML + zod) loads only when a file is given: an agent started from flags stays small.
 */
export async function resolveAgentOptions(flags: AgentFlags): Promise<ConfigResult<AgentOptions> & { ignored?: string[] }> {
  const opts = defaultOptions();
  const errors: ConfigError[] = [];
  const ignored: string[] = [];
  if (flags.config?.length) await applyFiles(opts, flags.config, errors, ignored);
  applyAddressFlags(opts, flags, errors);
  applyNodeFlags(opts, flags, errors);
  await applyJoinFlags(opts, flags, errors);
  checkJoinAddresses(opts, errors);
  checkNodeLimits(opts, errors);
  checkRpcExposure(opts, errors);
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: opts, ignored };
}

function defaultOptions(): AgentOptions {
  return {
    nodeName: hostname(),
    bind: { host: '0.0.0.0', port: DEFAULT_GOSSIP_PORT },
    rpcAddr: parseHostPort(DEFAULT_RPC_ADDR, 7373)!,
    rpcAllowRemote: false,
    rpcAllowUnauthenticated: false,
    tags: {},
    startJoin: [],
    retryJoin: [],
    retryMaxAttempts: 0,
    replayOnJoin: false,
    eventHandlers: [],
    logLevel: normalizeLevel(process.env.LBAGENT_LOG_LEVEL || 'info'), // config files and --log-level win
    profile: 'lan',
    coalesce: true,
    leaveOnTerminate: true,
    skipLeaveOnInterrupt: false,
    retryMaxIntervalMs: 30_000,
    rejoinAfterLeave: false,
  };
}

/** The file layer: each config file in order, a later one winning. */
async function applyFiles(opts: AgentOptions, files: string[], errors: ConfigError[], ignored: string[]): Promise<void> {
  const { readAgentFile } = await import('./config-file.js');
  for (const file of files) {
    const r = readAgentFile(file);
    if (!r.ok) {
      errors.push(...r.errors);
      continue;
    }
    ignored.push(...r.ignored.map((k) => `${file}: ${k}`));
    applyFile(opts, r.value);
  }
}

/** Flags: the node's name, its gossip and RPC addresses and the RPC's access. */
function applyAddressFlags(opts: AgentOptions, flags: AgentFlags, errors: ConfigError[]): void {
  if (flags.node) opts.nodeName = flags.node;
  if (flags.bind) {
    const b = parseHostPort(flags.bind, DEFAULT_GOSSIP_PORT);
    if (b) opts.bind = b;
    else errors.push(flagError('bind', hostPortProblem(flags.bind), 'host[:port]'));
  }
  if (flags.advertise) {
    const a = parseHostPort(flags.advertise, opts.bind.port);
    if (a) opts.advertise = a;
    else errors.push(flagError('advertise', hostPortProblem(flags.advertise), 'host[:port]'));
  }
  if (flags['rpc-addr']) {
    const r = parseHostPort(flags['rpc-addr'], 7373, '127.0.0.1');
    if (r) opts.rpcAddr = r;
    else errors.push(flagError('rpc-addr', hostPortProblem(flags['rpc-addr']), 'host:port'));
  }
  if (flags['rpc-auth']) opts.rpcAuth = flags['rpc-auth'];
  if (flags['rpc-allow-remote']) opts.rpcAllowRemote = true;
  if (flags['rpc-allow-unauthenticated']) opts.rpcAllowUnauthenticated = true;
}

/** Flags: what the node says about itself (role, tags), its key, logging, handlers and timer profile. */
function applyNodeFlags(opts: AgentOptions, flags: AgentFlags, errors: ConfigError[]): void {
  if (flags.role !== undefined) opts.tags.role = flags.role;
  for (const t of flags.tag ?? []) {
    const eq = t.indexOf('=');
    if (eq <= 0) errors.push(flagError('tag', `invalid tag '${t}'`, 'key=value'));
    else opts.tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  if (flags.encrypt) opts.encryptKey = flags.encrypt;
  if (flags['log-level']) opts.logLevel = normalizeLevel(flags['log-level']);
  if (flags['event-handler']) opts.eventHandlers.push(...flags['event-handler']);
  if (flags.profile) {
    if (flags.profile === 'lan' || flags.profile === 'wan' || flags.profile === 'local') opts.profile = flags.profile;
    else errors.push(flagError('profile', `invalid profile '${flags.profile}'`, 'one of lan, wan, local'));
  }
}

/** Flags: joining, rejoining and retrying, the snapshot and event replay. */
async function applyJoinFlags(opts: AgentOptions, flags: AgentFlags, errors: ConfigError[]): Promise<void> {
  if (flags.replay) opts.replayOnJoin = true;
  if (flags.coalesce !== undefined) opts.coalesce = flags.coalesce;
  if (flags.join) opts.startJoin.push(...flags.join);
  if (flags.snapshot !== undefined) opts.snapshotPath = flags.snapshot || undefined;
  if (flags.rejoin) opts.rejoinAfterLeave = true;
  if (flags['retry-join']) opts.retryJoin.push(...flags['retry-join']);
  if (flags['retry-max'] !== undefined) {
    const n = Number(flags['retry-max']);
    if (Number.isInteger(n) && n >= 0) opts.retryMaxAttempts = n;
    else errors.push(flagError('retry-max', `invalid number '${flags['retry-max']}'`, 'a whole number of attempts, 0 = no limit'));
  }
  if (flags['retry-interval'] !== undefined) {
    const { parseDuration } = await import('../config/index.js');
    const ms = parseDuration(flags['retry-interval']);
    if (typeof ms === 'number' && ms > 0) opts.retryMaxIntervalMs = ms;
    else errors.push(flagError('retry-interval', `invalid duration '${flags['retry-interval']}'`, 'a duration such as 30s'));
  }
}

/** A join address that can never work is refused here, not retried: a port out of range or not a number. */
function checkJoinAddresses(opts: AgentOptions, errors: ConfigError[]): void {
  for (const [key, list] of [['join', opts.startJoin], ['retry-join', opts.retryJoin]] as const) {
    for (const a of list) {
      const j = parseJoinAddr(a);
      if ('error' in j) errors.push({ ...flagError(key, `join address ${j.error}`, 'host[:port], e.g. 10.0.0.10 or 10.0.0.10:7946'), code: BadAddress.code });
    }
  }
}

/** The limits peers hold us to (they would drop our alive messages): refused here, before anything binds. */
function checkNodeLimits(opts: AgentOptions, errors: ConfigError[]): void {
  if (opts.encryptKey !== undefined) {
    const len = Buffer.from(opts.encryptKey, 'base64').length;
    if (![16, 24, 32].includes(len)) errors.push(flagError('encrypt', `key must be 16, 24 or 32 bytes base64-encoded, got ${len} bytes`, 'the output of `lbagent keygen`'));
  }
  const nameProblem = nodeNameProblem(opts.nodeName);
  if (nameProblem) errors.push(flagError('node', nameProblem, `a name of 1 to ${NODE_NAME_MAX} bytes without control characters`));
  const meta = encodeTags(opts.tags).length;
  if (meta > META_MAX) errors.push(flagError('tag', `Encoded length of tags exceeds limit of ${META_MAX} bytes (${meta})`, 'fewer or shorter tags'));
}

function checkRpcExposure(opts: AgentOptions, errors: ConfigError[]): void {
  if (!opts.rpcAllowRemote && !isLoopback(opts.rpcAddr.host)) {
    errors.push(flagError('rpc-addr', `RPC address ${opts.rpcAddr.host} is not loopback`, 'a loopback address, or --rpc-allow-remote with --rpc-auth'));
  }
  // Checked after the config files: their rpc_auth counts. The RPC can make the node leave, force others out
  // and run queries, so opening it to the network without a key needs a second, explicit flag.
  if (opts.rpcAllowRemote && !opts.rpcAuth && !opts.rpcAllowUnauthenticated) {
    errors.push({
      ...flagError('rpc-allow-remote', 'remote RPC without --rpc-auth: anyone who reaches the RPC address could make this node leave', '--rpc-auth KEY (or rpc_auth in the config file), or --rpc-allow-unauthenticated to accept that'),
      code: RpcRemoteNoAuth.code,
    });
  }
}

function applyFile(opts: AgentOptions, f: AgentFile): void {
  if (f.node_name) opts.nodeName = f.node_name;
  if (f.role !== undefined) opts.tags.role = f.role;
  if (f.tags) Object.assign(opts.tags, f.tags);
  if (f.bind) opts.bind = f.bind;
  if (f.advertise) opts.advertise = f.advertise;
  if (f.rpc_addr) opts.rpcAddr = f.rpc_addr;
  if (f.rpc_auth) opts.rpcAuth = f.rpc_auth;
  if (f.encrypt_key) opts.encryptKey = f.encrypt_key;
  if (f.start_join) opts.startJoin.push(...f.start_join);
  if (f.retry_join) opts.retryJoin.push(...f.retry_join);
  if (f.retry_max_attempts !== undefined) opts.retryMaxAttempts = f.retry_max_attempts;
  if (f.retry_interval !== undefined) opts.retryMaxIntervalMs = f.retry_interval;
  if (f.replay_on_join !== undefined) opts.replayOnJoin = f.replay_on_join;
  if (f.event_handlers) opts.eventHandlers.push(...f.event_handlers);
  if (f.log_level) opts.logLevel = normalizeLevel(f.log_level);
  if (f.profile) opts.profile = f.profile;
  if (f.coalesce !== undefined) opts.coalesce = f.coalesce;
  if (f.leave_on_terminate !== undefined) opts.leaveOnTerminate = f.leave_on_terminate;
  if (f.skip_leave_on_interrupt !== undefined) opts.skipLeaveOnInterrupt = f.skip_leave_on_interrupt;
  if (f.snapshot_path !== undefined) opts.snapshotPath = f.snapshot_path || undefined;
  if (f.rejoin_after_leave !== undefined) opts.rejoinAfterLeave = f.rejoin_after_leave;
}

/** serf's level names (ERR, WARN) to pino's. */
function normalizeLevel(level: string): string {
  const l = level.toLowerCase();
  return l === 'err' ? 'error' : l;
}

export { isLoopback };
