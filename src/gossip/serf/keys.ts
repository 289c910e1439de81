// Cluster-wide keyring changes, as serf's KeyManager: an internal query (`_serf_install-key`, `_serf_use-key`,
// `_serf_remove-key`, `_serf_list-keys`) goes to every member, each changes its own keyring and answers with a
// key response; the answers are summed up for `lbagent keys` (same wire format, so `serf keys` drives lbagent
// nodes and `lbagent keys` drives serf nodes).
import { encode, list, str, text, type MapValue } from '../../wire/msgpack/index.js';
import { decodeSerf, SerfMsg } from './messages.js';
import { errorMessage } from '../../errors/index.js';

export type KeyOp = 'install' | 'use' | 'remove' | 'list';

/** What a member's keyring offers (memberlist's keyring). */
export interface Ring {
  primary(): Buffer | undefined;
  keys(): Buffer[];
  install(k: Buffer): void;
  use(k: Buffer): void;
  remove(k: Buffer): void;
}

export interface KeyOpResult {
  /** members asked (alive), members that answered, and those that reported an error */
  numNodes: number;
  numResp: number;
  numErr: number;
  /** error message by node */
  messages: Record<string, string>;
  /** list: how many members have each key installed, and use it as primary */
  keys: Record<string, number>;
  primaryKeys: Record<string, number>;
}

/** The query payload: a key request (type 7) carrying the raw key. */
export function keyRequest(key: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SerfMsg.KeyRequest]), encode({ Key: key })]);
}

/** The answer of one member: a key response (type 8) with its keyring after the change. */
export function keyResponse(ring: Ring, result: boolean, message: string): Buffer {
  return Buffer.concat([
    Buffer.from([SerfMsg.KeyResponse]),
    encode({ Result: result, Message: message, Keys: ring.keys().map((k) => k.toString('base64')), PrimaryKey: ring.primary()?.toString('base64') ?? '' }),
  ]);
}

/** Apply a key request from the query `_serf_<op>-key` to this member's keyring; the error text is serf's. */
export function applyKeyRequest(ring: Ring, op: KeyOp, payload: Buffer): { result: boolean; message: string } {
  if (op === 'list') return { result: true, message: '' };
  if (!ring.keys().length) return { result: false, message: 'No keyring to modify (encryption not enabled)' };
  let key: Buffer;
  try {
    const m = decodeSerf(payload);
    const k = m.type === SerfMsg.KeyRequest ? (m.body as MapValue).Key : undefined;
    if (!Buffer.isBuffer(k)) throw new Error('no key in the request');
    key = k;
  } catch (err) {
    return { result: false, message: `Failed to decode key request: ${errorMessage(err)}` };
  }
  try {
    if (op === 'install') ring.install(key);
    else if (op === 'use') ring.use(key);
    else ring.remove(key);
    return { result: true, message: '' };
  } catch (err) {
    return { result: false, message: errorMessage(err) };
  }
}

/** Sum the members' answers as serf's KeyManager does. */
export function summarize(numNodes: number, responses: Array<{ from: string; payload: Buffer }>): KeyOpResult {
  const r: KeyOpResult = { numNodes, numResp: 0, numErr: 0, messages: {}, keys: {}, primaryKeys: {} };
  for (const { from, payload } of responses) {
    r.numResp++;
    let answer: { ok: boolean; message: string; keys: string[]; primary: string };
    try {
      const m = decodeSerf(payload);
      if (m.type !== SerfMsg.KeyResponse) throw new Error('not a key response');
      const body = m.body as MapValue;
      answer = { ok: body.Result === true, message: str(body, 'Message'), keys: list(body, 'Keys').map(text), primary: str(body, 'PrimaryKey') };
    } catch (err) {
      r.numErr++;
      r.messages[from] = `Failed to decode key response: ${errorMessage(err)}`;
      continue;
    }
    if (!answer.ok) {
      r.numErr++;
      r.messages[from] = answer.message || 'failed';
    }
    for (const k of answer.keys) r.keys[k] = (r.keys[k] ?? 0) + 1;
    if (answer.primary) r.primaryKeys[answer.primary] = (r.primaryKeys[answer.primary] ?? 0) + 1;
  }
  return r;
}
