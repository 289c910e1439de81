// What a node record must look like before it is merged: every message that names a node (alive, suspect, dead,
// push/pull states, serf's intents) is checked against these limits, and our own node is held to them at start.
// A record that fails is dropped and counted under the reason returned here, never merged.
import { InvalidNode } from '../../errors/index.js';

/** memberlist's MetaMaxSize: serf's encoded tags must fit, and memberlist refuses to send more. */
export const META_MAX = 512;

/**
 * serf's MaxNodeNameLength, in bytes as Go's len(). serf checks it (and its character rule) only with
 * ValidateNodeNames, off by default; we always hold names to the length and refuse empty ones: a name is a map
 * key, a log field and an HAProxy server name, and a peer could otherwise fill the member table and every log
 * line with kilobytes per name. The character rule ([A-Za-z0-9.-]) stays off, as in serf, so serf clusters
 * with other names still interoperate; control characters are refused (no hostname has them, and they would
 * forge lines in serf-format logs and handler input).
 */
export const NODE_NAME_MAX = 128;

export type DropReason = 'invalid node name' | 'invalid address' | 'invalid port' | 'meta too large' | 'invalid protocol version';

/** Why a node name is refused, in serf's words where it has them; undefined when it is fine. */
export function nodeNameProblem(name: string): string | undefined {
  if (name === '') return 'Node name is empty. Valid length is between 1 and 128 characters';
  const len = Buffer.byteLength(name);
  if (len > NODE_NAME_MAX) return `Node name is ${len} characters. Valid length is between 1 and ${NODE_NAME_MAX} characters`;
  // oxlint-disable-next-line no-control-regex -- serf refuses control characters in node names; this is that check
  if (/[\x00-\x1f\x7f]/.test(name)) return 'Node name contains control characters';
  return undefined;
}

/** A node as announced by alive messages and push/pull states. `addr` is '' when it was not 4 or 16 bytes. */
export interface AnnouncedNode {
  node: string;
  addr: string;
  port: number;
  meta: Buffer;
  vsn: number[];
}

export function announcedNodeProblem(n: AnnouncedNode): DropReason | undefined {
  if (nodeNameProblem(n.node)) return 'invalid node name';
  if (n.addr === '') return 'invalid address';
  if (!Number.isInteger(n.port) || n.port < 1 || n.port > 65535) return 'invalid port';
  if (n.meta.length > META_MAX) return 'meta too large';
  // memberlist ignores an alive whose protocol range is empty or zero (state.go aliveNode).
  if (n.vsn.length >= 3 && (n.vsn[0] === 0 || n.vsn[1] === 0 || n.vsn[0]! > n.vsn[1]!)) return 'invalid protocol version';
  return undefined;
}

/** Our own node name and tags meta: the same limits peers are held to (InvalidNode, before anything binds). */
export function assertValidLocalNode(name: string, meta?: Buffer): void {
  const bad = nodeNameProblem(name);
  if (bad) throw new InvalidNode(bad);
  if (meta && meta.length > META_MAX) throw new InvalidNode(`Encoded length of tags exceeds limit of ${META_MAX} bytes`);
}
