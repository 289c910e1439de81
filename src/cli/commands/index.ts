// Every command, in the order `lbagent --help` lists them.
import type { Command } from '../command.js';
import { planned } from '../command.js';
import { balancer } from './balancer.js';
import { check } from './check.js';
import { demo } from './demo.js';
import { servers } from './servers.js';

export const commands: Command[] = [
  balancer,
  check,
  demo,
  planned('agent', 'Run the gossip agent (serf agent) in the foreground', 'Usage: lbagent agent [options]'),
  planned('join', 'Join a cluster: start the agent, or ask the running agent to join', 'Usage: lbagent join [options] ADDR...'),
  planned('leave', 'Make the local agent leave the cluster gracefully and exit', 'Usage: lbagent leave [--rpc-addr ADDR]'),
  planned('members', 'List cluster members (like serf members)', 'Usage: lbagent members [--status S] [--tag k=v] [--format text|json]'),
  planned('event', 'Send a user event; pause/resume without payload send "NODE IP ROLE" for this node', 'Usage: lbagent event NAME [PAYLOAD]'),
  planned('tags', "Change this node's tags at run time", 'Usage: lbagent tags [--set k=v]... [--delete k]...'),
  planned('keygen', 'Print a new base64 encryption key for --encrypt', 'Usage: lbagent keygen'),
  servers,
];
