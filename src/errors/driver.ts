// Errors of the HAProxy driver (its runtime API).
import { defineError } from './lba-error.js';

export const HaproxyRefused = defineError<[command: string, answer: string]>({
  code: 'LBA_ERR_HAPROXY_REFUSED',
  part: 'driver',
  message: "HAProxy refused '%s': %s",
});
export const HaproxySocket = defineError<[address: string, reason: string]>({
  code: 'LBA_ERR_HAPROXY_SOCKET',
  part: 'driver',
  message: 'cannot talk to HAProxy at %s: %s',
});
