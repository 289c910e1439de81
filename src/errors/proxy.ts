// Proxy errors (the built-in data plane): what users see in the admin API, the logs and `lbagent check`.
// Not here, on purpose: FramingError (http/framing.ts), thrown by the body walker in the middle of a read and
// always caught by the session, which turns it into a termination state (`SD`, `PD`) and never shows its text:
// a control-flow signal on the hot path, kept a bare Error subclass.
import { defineError, LbaError } from './lba-error.js';

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

/** A frontend's listener could not be opened (address in use, no permission). */
export const BindFailed = defineError<[frontend: string, detail: string]>({
  code: 'LBA_ERR_PROXY_BIND',
  part: 'proxy',
  message: 'Starting frontend %s: cannot bind socket (%s)',
});

/** The admin API or the stats page could not listen on its address. */
export const ListenFailed = defineError<[what: string, address: string, detail: string]>({
  code: 'LBA_ERR_PROXY_LISTEN',
  part: 'proxy',
  message: '%s: cannot bind %s (%s)',
});

/** A bind's `ssl.crt` names a directory without any .pem file. */
export const NoCertificate = defineError<[path: string]>({
  code: 'LBA_ERR_PROXY_NO_CERTIFICATE',
  part: 'proxy',
  message: 'no .pem file in %s',
});

/** A PEM file that OpenSSL refuses (no key, a key that does not match, not PEM). */
export const BadCertificate = defineError<[file: string, detail: string]>({
  code: 'LBA_ERR_PROXY_BAD_CERTIFICATE',
  part: 'proxy',
  message: '%s: %s',
});

/** An HTTP rule the config cannot compile: an unknown ACL, an unsupported sample fetch (`lbagent check` shows it). */
export const RuleError = defineError<[detail: string]>({
  code: 'LBA_ERR_PROXY_RULE',
  part: 'proxy',
  message: '%s',
});

/** A proxy worker (`global.workers`) failed to start or to take a new configuration. */
export const WorkerFailed = defineError<[detail: string]>({
  code: 'LBA_ERR_PROXY_WORKER',
  part: 'proxy',
  message: '%s',
});

// A malformed HTTP head, by the status it is answered with: the client's request (400, 422, 431) or the
// server's response (502, to the client). One class for the parser to throw; the code says which.
const headSpecs = {
  400: defineError<[detail: string]>({ code: 'LBA_ERR_PROXY_BAD_REQUEST', part: 'proxy', message: '%s', status: 400 }).spec,
  422: defineError<[detail: string]>({ code: 'LBA_ERR_PROXY_UNSUPPORTED_CODING', part: 'proxy', message: '%s', status: 422 }).spec,
  431: defineError<[detail: string]>({ code: 'LBA_ERR_PROXY_HEAD_TOO_LARGE', part: 'proxy', message: '%s', status: 431 }).spec,
  502: defineError<[detail: string]>({ code: 'LBA_ERR_PROXY_BAD_RESPONSE', part: 'proxy', message: '%s', status: 502 }).spec,
};
export type HeadStatus = keyof typeof headSpecs;

/** A request or response head the proxy refuses; `status` is what the client is answered with. */
export class HeadError extends LbaError {
  declare readonly status: HeadStatus;

  constructor(status: HeadStatus, detail: string) {
    super(headSpecs[status], [detail]);
  }
}
