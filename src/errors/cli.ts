// Errors the command-line tools report.
import { defineError } from './lba-error.js';

export const NoAgent = defineError<[detail: string]>({
  code: 'LBA_ERR_NO_AGENT',
  part: 'cli',
  message: 'no agent or balancer answered: %s',
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
