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

export const ImportUnreadable = defineError<[file: string, detail: string]>({
  code: 'LBA_ERR_IMPORT_UNREADABLE',
  part: 'cli',
  message: 'lbagent import: cannot read %s: %s',
});

export const ImportNothing = defineError<[file: string]>({
  code: 'LBA_ERR_IMPORT_NOTHING',
  part: 'cli',
  message: 'lbagent import: %s has no HAProxy section (global, defaults, frontend, backend or listen)',
});

export const ImportUnwritable = defineError<[file: string, detail: string]>({
  code: 'LBA_ERR_IMPORT_UNWRITABLE',
  part: 'cli',
  message: 'lbagent import: cannot write %s: %s',
});
