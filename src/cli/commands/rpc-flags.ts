// The flags every RPC client command shares, as serf's: -rpc-addr and -rpc-auth.
export const rpcFlagSpec = {
  'rpc-addr': { type: 'string' },
  'rpc-auth': { type: 'string' },
} as const;

export const RPC_OPTIONS_HELP = `  --rpc-addr ADDR   the agent's RPC address (default 127.0.0.1:7373, or $LBAGENT_RPC_ADDR)
  --rpc-auth KEY    RPC auth key (or $LBAGENT_RPC_AUTH)`;
