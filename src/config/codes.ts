// Coded errors: stable names that logs, scripts and the README refer to, whatever the wording of the message.

/** The config has no frontend and no listen section: nothing to serve (HAProxy: "no listener"). */
export const LBA_ERR_NO_LISTENER = 'LBA_ERR_NO_LISTENER';
/** The agent RPC would listen beyond loopback with no auth key: anyone reaching it could make the node leave. */
export const LBA_ERR_RPC_REMOTE_NO_AUTH = 'LBA_ERR_RPC_REMOTE_NO_AUTH';
