// Config and flag errors (files, flags, addresses in them).
import { defineError } from './lba-error.js';

export const NoListener = defineError({
  code: 'LBA_ERR_NO_LISTENER',
  part: 'config',
  message: 'the config has no frontend and no listen section: nothing to serve',
});
export const BadAddress = defineError<[detail: string]>({
  code: 'LBA_ERR_BAD_ADDRESS',
  part: 'config',
  message: 'an address that cannot work: %s',
  status: 400,
});
export const RpcRemoteNoAuth = defineError({
  code: 'LBA_ERR_RPC_REMOTE_NO_AUTH',
  part: 'config',
  message: 'the agent RPC would listen beyond loopback with no auth key: anyone reaching it could make the node leave',
});
export const ConfigRead = defineError<[reason: string]>({
  code: 'LBA_ERR_CONFIG_READ',
  part: 'config',
  message: 'cannot read file: %s',
});
export const BadEventHandler = defineError<[detail: string]>({
  code: 'LBA_ERR_BAD_EVENT_HANDLER',
  part: 'config',
  message: 'event handler refused: %s',
});
