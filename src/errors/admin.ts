// Errors of the balancer's admin API (pools read and changed through the data plane's PoolDriver).
import { defineError } from './lba-error.js';

export const AdminNotFound = defineError<[what: string]>({
  code: 'LBA_ERR_ADMIN_NOT_FOUND',
  part: 'admin',
  message: 'not found: %s',
  status: 404,
});
export const AdminRefused = defineError<[reason: string]>({
  code: 'LBA_ERR_ADMIN_REFUSED',
  part: 'admin',
  message: 'refused: %s',
  status: 400,
});
