// Errors the command-line tools report.
import { defineError } from './lba-error.js';

/** What was tried (the command's words and the address), where the address came from, why, how to point elsewhere. */
export const NoAgent = defineError<[tried: string, from: string, reason: string, hint: string]>({
  code: 'LBA_ERR_NO_AGENT',
  part: 'cli',
  message: '%s (%s): %s. %s',
});
export const AgentAnswer = defineError<[address: string, answer: string]>({
  code: 'LBA_ERR_AGENT_ANSWER',
  part: 'cli',
  message: 'unexpected answer from %s: %s',
});
export const AgentLost = defineError<[address: string, reason: string]>({
  code: 'LBA_ERR_AGENT_LOST',
  part: 'cli',
  message: 'the agent at %s: %s',
});
export const BadArgument = defineError<[detail: string]>({
  code: 'LBA_ERR_BAD_ARGUMENT',
  part: 'cli',
  message: 'bad argument: %s',
});
