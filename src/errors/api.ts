// Errors of the JSON-over-HTTP kit both APIs (admin API, agent RPC) are built on: what any route can answer.
import { defineError } from './lba-error.js';

export const ApiUnauthorized = defineError({
  code: 'LBA_ERR_API_UNAUTHORIZED',
  part: 'api',
  // serf's words ("Invalid authentication token"): scripts written for serf's RPC match on them
  message: 'Invalid authentication token: missing or wrong bearer token',
  status: 401,
});
export const ApiNotFound = defineError<[method: string, path: string]>({
  code: 'LBA_ERR_API_NOT_FOUND',
  part: 'api',
  message: 'no such endpoint: %s %s',
  status: 404,
});
export const ApiMethodNotAllowed = defineError<[method: string, path: string, allowed: string]>({
  code: 'LBA_ERR_API_METHOD_NOT_ALLOWED',
  part: 'api',
  message: '%s %s: method not allowed (allowed: %s)',
  status: 405,
});
export const ApiBodyTooLarge = defineError<[limit: number]>({
  code: 'LBA_ERR_API_BODY_TOO_LARGE',
  part: 'api',
  message: 'request body too large (over %d bytes)',
  status: 413,
});
export const ApiBadJson = defineError<[reason: string]>({
  code: 'LBA_ERR_API_BAD_JSON',
  part: 'api',
  message: 'invalid JSON body: %s',
  status: 400,
});
export const ApiBadBody = defineError<[problems: string]>({
  code: 'LBA_ERR_API_BAD_BODY',
  part: 'api',
  message: 'invalid request: %s',
  status: 400,
});
export const ApiInternal = defineError<[reason: string]>({
  code: 'LBA_ERR_API_INTERNAL',
  part: 'api',
  message: 'internal error: %s',
  status: 500,
});
