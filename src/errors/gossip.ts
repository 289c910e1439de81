// Gossip errors (memberlist and serf layers).
import { defineError } from './lba-error.js';

export const NoAdvertiseAddr = defineError<[detail: string]>({
  code: 'LBA_ERR_NO_ADVERTISE_ADDR',
  part: 'gossip',
  message: 'bound to every address and no IPv4 to tell peers (only loopback, link-local): %s',
});
export const FilterRegex = defineError<[detail: string]>({
  code: 'LBA_ERR_FILTER_REGEX',
  part: 'gossip',
  message: 'filter regex refused: %s',
  status: 400,
});
export const InvalidNode = defineError<[detail: string]>({
  code: 'LBA_ERR_INVALID_NODE',
  part: 'gossip',
  message: 'invalid node: %s',
});
