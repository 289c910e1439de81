// The codes as plain strings for modules that have not moved to the catalogue's classes yet
// (src/gossip/memberlist/address.ts). New code imports the classes from src/errors/index.js.
import { BadAddress, NoAdvertiseAddr } from '../errors/index.js';

export const LBA_ERR_BAD_ADDRESS = BadAddress.code;
export const LBA_ERR_NO_ADVERTISE_ADDR = NoAdvertiseAddr.code;
