// Every command, in the order `lbagent --help` lists them.
import type { Command } from '../command.js';
import { planned } from '../command.js';
import { balancer } from './balancer.js';
import { check } from './check.js';
import { demo } from './demo.js';
import { servers } from './servers.js';
import { leaveCommand } from './leave.js';
import { membersCommand } from './members.js';
import { eventCommand } from './event.js';
import { tagsCommand } from './tags.js';
import { keygenCommand } from './keygen.js';

export const commands: Command[] = [
  balancer,
  check,
  demo,
  planned('agent', 'Run the gossip agent (serf agent) in the foreground', 'Usage: lbagent agent [options]'),
  planned('join', 'Join a cluster: start the agent, or ask the running agent to join', 'Usage: lbagent join [options] ADDR...'),
  leaveCommand,
  membersCommand,
  eventCommand,
  tagsCommand,
  keygenCommand,
  servers,
];
