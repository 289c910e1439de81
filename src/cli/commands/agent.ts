// `lbagent agent` (serf agent) and the foreground half of `lbagent join`.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { agentFlagSpec, loadAgent, resolveAgentOptions, type AgentFlags } from '../../agent/index.js';
import { formatConfigError } from '../../config/index.js';
import { createLogger } from '../../log/index.js';
import { LogTap } from '../../log/index.js';
import { BadArgument, describeError, errorMessage } from '../../errors/index.js';

export const AGENT_OPTIONS_HELP = `Options:
  --node NAME            node name (default: hostname)
  --bind ADDR[:PORT]     gossip address (default 0.0.0.0:7946)
  --advertise ADDR[:PORT] address other nodes use to reach this one
  --role ROLE            shorthand for --tag role=ROLE
  --tag k=v              a tag (repeatable)
  --encrypt KEY          base64 key (lbagent keygen); AES-GCM like serf -encrypt
  --rpc-addr ADDR        local RPC address (default 127.0.0.1:7373)
  --rpc-auth KEY         require this key from RPC clients
  --rpc-allow-remote     allow a --rpc-addr that is not loopback (needs --rpc-auth)
  --rpc-allow-unauthenticated  with --rpc-allow-remote: start without --rpc-auth anyway
  --config FILE          YAML or serf JSON agent config (repeatable; flags win)
  --event-handler [FILTER=]SCRIPT  serf-style handler (repeatable)
  --profile lan|wan|local  gossip timers (default lan)
  --replay               replay old user events on join
  --join ADDR            join this address at start (repeatable); if none answers, the agent exits
  --retry-join ADDR      join this address in the background, retried until one answers (repeatable)
  --retry-max N          with --retry-join: exit after N failed attempts (default 0: no limit)
  --retry-interval D     with --retry-join: the longest wait between attempts (default 30s)
  --snapshot PATH        serf's snapshot: keep members and clocks in PATH, rejoin them at start
  --rejoin               rejoin the snapshot's members even after a graceful leave (rejoin_after_leave)
  --log-level LEVEL      trace|debug|info|warn|error`;

/** Start the agent in the foreground; resolves with the exit code once it has left or shut down. */
export async function runAgentForeground(flags: AgentFlags, joinAddrs: string[]): Promise<number> {
  const resolved = await resolveAgentOptions({ ...flags, join: [...(flags.join ?? []), ...joinAddrs] });
  if (!resolved.ok) {
    for (const e of resolved.errors) process.stderr.write(`${formatConfigError(e)}\n`);
    return 1;
  }
  const opts = resolved.value;
  const logTap = new LogTap();
  const log = createLogger({ level: opts.logLevel, name: opts.nodeName, tap: logTap });
  for (const k of resolved.ignored ?? []) log.warn(`agent: config key ignored: ${k}`);
  const { Agent } = await loadAgent();
  let agent;
  try {
    agent = await Agent.start(opts, log, logTap);
  } catch (err) {
    log.error(`agent: ${describeError(err)}`);
    return 1;
  }
  agent.installSignalHandlers();
  // serf reloads its config files on SIGHUP (handlers, tags, log level); a bad file keeps what runs
  const onHup = () => {
    log.info('agent: Caught signal: hangup');
    void resolveAgentOptions({ ...flags, join: [...(flags.join ?? []), ...joinAddrs] }).then(async (r) => {
      if (!r.ok) {
        for (const e of r.errors) log.error(`agent: Failed to reload configs: ${formatConfigError(e)}`);
        return;
      }
      await agent.reload(r.value);
      log.info('agent: Reloaded configuration');
    }).catch((err: unknown) => log.error(`agent: Failed to reload configs: ${describeError(err)}`));
  };
  process.on('SIGHUP', onHup);
  void agent.done.then(() => process.off('SIGHUP', onHup));
  // serf's start_join: one attempt; an agent that cannot join where it was told to stops with the reason
  // (systemd's Restart= or retry_join are the ways to wait for a balancer that is not up yet).
  if (opts.startJoin.length) {
    try {
      await agent.join(opts.startJoin, opts.replayOnJoin);
    } catch (err) {
      log.error(`agent: Error joining the cluster: ${errorMessage(err)}`);
      await agent.shutdown();
      log.flush?.();
      return 1;
    }
  }
  let gaveUp = false;
  if (opts.retryJoin.length) {
    agent.joinWithRetry(opts.retryJoin, opts.retryMaxAttempts).catch(() => {
      if (agent.stopped) return;
      gaveUp = true;
      log.error('agent: maximum retry join attempts made, exiting');
      void agent.shutdown();
    });
  }
  await agent.done;
  log.flush?.();
  return gaveUp ? 1 : 0;
}

export function parseAgentArgs(argv: string[]): { flags: AgentFlags; positionals: string[] } {
  const { values, positionals } = parseArgs({ args: argv, options: agentFlagSpec, allowPositionals: true, strict: true });
  const v = values as AgentFlags & { 'config-file'?: string[] };
  const flags: AgentFlags = { ...v, config: [...(v.config ?? []), ...(v['config-file'] ?? [])] };
  return { flags, positionals };
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run the gossip agent (serf agent) in the foreground',
  usage: `Usage: lbagent agent [options]\n\nStarts the gossip agent, serf-compatible on the wire; joins the --join addresses if given.\n\n${AGENT_OPTIONS_HELP}`,
  async run(argv) {
    const { flags, positionals } = parseAgentArgs(argv);
    if (positionals.length) throw new BadArgument(`unexpected argument '${positionals[0]}' (did you mean lbagent join?)`);
    return runAgentForeground(flags, []);
  },
};
