// Every command, in the order `lbagent --help` lists them.
import type { Command } from '../command.js';
import { balancer } from './balancer.js';
import { check } from './check.js';
import { importCommand } from './import.js';
import { demo } from './demo.js';
import { servers } from './servers.js';
import { agentCommand } from './agent.js';
import { joinCommand } from './join.js';
import { leaveCommand } from './leave.js';
import { forceLeaveCommand } from './force-leave.js';
import { membersCommand } from './members.js';
import { eventCommand } from './event.js';
import { queryCommand } from './query.js';
import { monitorCommand } from './monitor.js';
import { tagsCommand } from './tags.js';
import { keygenCommand } from './keygen.js';
import { keysCommand } from './keys.js';
import { proxyWorker } from './proxy-worker.js';

export const commands: Command[] = [
  balancer,
  check,
  importCommand,
  demo,
  agentCommand,
  joinCommand,
  leaveCommand,
  forceLeaveCommand,
  membersCommand,
  eventCommand,
  queryCommand,
  monitorCommand,
  tagsCommand,
  keygenCommand,
  keysCommand,
  servers,
  proxyWorker,
];
