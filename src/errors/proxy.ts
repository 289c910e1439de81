// Proxy errors (the built-in data plane): what users see in the admin API, the logs and `lbagent check`.
import { defineError } from './lba-error.js';

/** A backend or server the caller named does not exist (admin API, PoolDriver calls): the sentence says which. */
export const NotFound = defineError<[what: string]>({
  code: 'LBA_ERR_PROXY_NOT_FOUND',
  part: 'proxy',
  message: '%s',
  status: 404,
});

/** `timeout connect` passed before the server accepted (termination state `sC`, versus `SC` for a refusal). */
export const ConnectTimeout = defineError<[ms: number]>({
  code: 'LBA_ERR_PROXY_CONNECT_TIMEOUT',
  part: 'proxy',
  message: 'timeout connect (%s ms) passed',
});
