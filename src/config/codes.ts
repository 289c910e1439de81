// Coded errors: stable names that logs, scripts and the README refer to, whatever the wording of the message.

/** The config has no frontend and no listen section: nothing to serve (HAProxy: "no listener"). */
export const LBA_ERR_NO_LISTENER = 'LBA_ERR_NO_LISTENER';
/** The agent RPC would listen beyond loopback with no auth key: anyone reaching it could make the node leave. */
export const LBA_ERR_RPC_REMOTE_NO_AUTH = 'LBA_ERR_RPC_REMOTE_NO_AUTH';
/** An address that cannot work: a port out of range or not a number, a name that does not resolve. */
export const LBA_ERR_BAD_ADDRESS = 'LBA_ERR_BAD_ADDRESS';
/** Bound to every address (0.0.0.0, ::) and no IPv4 to tell peers (only loopback, link-local): set --advertise. */
export const LBA_ERR_NO_ADVERTISE_ADDR = 'LBA_ERR_NO_ADVERTISE_ADDR';
/** A CLI command found no agent or balancer at the address it tried. */
export const LBA_ERR_NO_AGENT = 'LBA_ERR_NO_AGENT';
