// Gossip errors (memberlist and serf layers). Their messages are serf's own words where serf has them: what serf
// and its RPC clients print is what lbagent prints.
import { defineError } from './lba-error.js';

export const NoAdvertiseAddr = defineError<[detail: string]>({
  code: 'LBA_ERR_NO_ADVERTISE_ADDR',
  part: 'gossip',
  // memberlist's words; the detail says why (bound to every address and no IPv4 but loopback or link-local).
  message: 'No private IP address found, and explicit IP not provided: %s',
});
export const FilterRegex = defineError<[detail: string]>({
  code: 'LBA_ERR_FILTER_REGEX',
  part: 'gossip',
  // Go's regexp error, verbatim ("error parsing regexp: ..."): serf's RPC answers "Failed to compile regex: " + it.
  message: '%s',
  status: 400,
});
export const InvalidNode = defineError<[detail: string]>({
  code: 'LBA_ERR_INVALID_NODE',
  part: 'gossip',
  // serf's words ("Node name is 129 characters. Valid length is between 1 and 128 characters").
  message: '%s',
});
