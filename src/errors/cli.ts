// Errors the command-line tools report.
import { defineError } from './lba-error.js';

export const NoAgent = defineError<[detail: string]>({
  code: 'LBA_ERR_NO_AGENT',
  part: 'cli',
  message: 'no agent or balancer answered: %s',
});
