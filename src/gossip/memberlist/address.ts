// Gossip addresses: the address a node tells its peers (chosen as serf's memberlist does with go-sockaddr's
// GetPrivateIP when bound to every address), and the checks that make an address that cannot work an error at
// once, saying what is wrong, instead of a join retried forever.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { BadAddress, errorCode, errorMessage, NoAdvertiseAddr, type LbaError, type LbaErrorClass } from '../../errors/index.js';


/**
 * An address that cannot work (BadAddress: a bad port, a name that does not resolve; NoAdvertiseAddr). The agent
 * prints the message at start, and it ends in the code as every coded message lbagent prints today.
 */
export function addressError(kind: LbaErrorClass<[detail: string]>, detail: string): LbaError {
  return new kind(`${detail} [${kind.code}]`);
}

const PRIVATE_V4: Array<[number, number]> = [
  [0x0a000000, 8], // 10/8 (RFC 1918)
  [0xac100000, 12], // 172.16/12 (RFC 1918)
  [0xc0a80000, 16], // 192.168/16 (RFC 1918)
  [0x64400000, 10], // 100.64/10 (RFC 6598, carrier-grade NAT: private to the site)
];
// Never advertised: no peer on another host could reach them.
const UNUSABLE_V4: Array<[number, number]> = [
  [0x00000000, 8], // "this network"
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4(addr: string): number {
  return addr.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
const within = (addr: string, nets: Array<[number, number]>) => nets.some(([net, bits]) => v4(addr) >>> (32 - bits) === net >>> (32 - bits));

export const isPrivateV4 = (addr: string) => isIP(addr) === 4 && within(addr, PRIVATE_V4);

/** The interface holding the IPv4 default route (/proc/net/route), which go-sockaddr prefers; undefined elsewhere. */
export function defaultRouteInterface(): string | undefined {
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
      if (dest === '00000000' && mask === '00000000') return iface;
    }
  } catch {
    // not Linux
  }
  return undefined;
}

export interface AdvertiseChoice {
  addr: string;
  iface: string;
  kind: 'private' | 'public';
}

/**
 * The IPv4 to advertise when bound to 0.0.0.0 or `::`: the first private one (RFC 1918, RFC 6598), the default
 * route's interface first; else the first public one. `interfaces` lists only interfaces that are up and running
 * (libuv skips the others). Throws NoAdvertiseAddr when there is none.
 */
export function chooseAdvertiseAddr(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  defaultIface: string | undefined = defaultRouteInterface(),
): AdvertiseChoice {
  const candidates: Array<{ addr: string; iface: string }> = [];
  const names = Object.keys(interfaces).sort((a, b) => Number(b === defaultIface) - Number(a === defaultIface));
  for (const iface of names) {
    for (const i of interfaces[iface] ?? []) {
      if (i.family === 'IPv4' && !i.internal && !within(i.address, UNUSABLE_V4)) candidates.push({ addr: i.address, iface });
    }
  }
  const priv = candidates.find((c) => isPrivateV4(c.addr));
  if (priv) return { ...priv, kind: 'private' };
  if (candidates[0]) return { ...candidates[0], kind: 'public' };
  throw addressError(
    NoAdvertiseAddr,
    'no interface has an IPv4 address other than loopback or link-local; ' +
      'give the address other hosts reach this one at with --advertise ADDR (gossip.advertise in lbagent.yml, advertise in an agent config)',
  );
}

export const isUnspecified = (host: string | undefined) => !host || host === '0.0.0.0' || host === '::' || host === '*';

/** An IP for `host` (itself when it is one). A name that does not resolve is a BadAddress naming `what`. */
export async function resolveHost(host: string, what: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    // IPv4 first: the address goes into alive messages, and the peers we meet are mostly IPv4.
    return (await lookup(host, { verbatim: false })).address;
  } catch (err) {
    const code = errorCode(err);
    throw addressError(BadAddress, `${what}: the name '${host}' does not resolve (${code === 'ENOTFOUND' ? 'no such host' : code ?? errorMessage(err)})`);
  }
}
