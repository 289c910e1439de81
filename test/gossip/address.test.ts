// Gossip addresses: what an agent bound to every address advertises (as memberlist's GetPrivateIP), addresses that
// cannot work refused at once with the reason, and an IPv4 that serf's memberlist sends in 16 bytes relayed as is.
import { test } from 'node:test';
import { needNetns } from '../helpers/tools.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { NetworkInterfaceInfo } from 'node:os';
import { promisify } from 'node:util';
import { chooseAdvertiseAddr } from '../../src/gossip/memberlist/address.js';
import { parseJoinAddr } from '../../src/net/index.js';
import { decodePacket, decodePushPull, encodeAlive, encodePushPull, MsgType, type Message } from '../../src/gossip/memberlist/codec.js';
import { buildHosts } from '../helpers/netns.js';
import { lbagentBin } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` });
const v6 = (address: string): NetworkInterfaceInfo => ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/64`, scopeid: 0 });

test('bound to every address, the advertised IP is the first private IPv4 (default route first), else a public one, never loopback or link-local', () => {
  const lo = { lo: [v4('127.0.0.1', true)] };
  assert.deepEqual(chooseAdvertiseAddr({ ...lo, eth0: [v6('fe80::1'), v4('169.254.3.4'), v4('10.1.2.3')] }, undefined), { addr: '10.1.2.3', iface: 'eth0', kind: 'private' });
  // a private address wins over a public one, whatever the order; the default route's interface goes first
  assert.deepEqual(chooseAdvertiseAddr({ ...lo, eth0: [v4('203.0.113.7')], eth1: [v4('192.168.1.5')] }, undefined), { addr: '192.168.1.5', iface: 'eth1', kind: 'private' });
  assert.deepEqual(chooseAdvertiseAddr({ ...lo, docker0: [v4('172.17.0.1')], ens3: [v4('10.0.0.9')] }, 'ens3'), { addr: '10.0.0.9', iface: 'ens3', kind: 'private' });
  assert.equal(chooseAdvertiseAddr({ ...lo, wg0: [v4('100.64.1.2')] }, undefined).kind, 'private', 'RFC 6598 counts as private');
  assert.deepEqual(chooseAdvertiseAddr({ ...lo, eth0: [v4('203.0.113.7')] }, 'eth0'), { addr: '203.0.113.7', iface: 'eth0', kind: 'public' });
  assert.throws(() => chooseAdvertiseAddr({ ...lo, eth0: [v4('169.254.9.9'), v6('2001:db8::1')] }, undefined), (e: Error & { code?: string }) =>
    e.code === 'LBA_ERR_NO_ADVERTISE_ADDR' && /No private IP address found.*--advertise/.test(e.message));
});

test('join addresses: serf forms accepted; a port out of range or not a number is refused with the reason', () => {
  assert.deepEqual(parseJoinAddr('10.0.0.10'), { host: '10.0.0.10', port: 7946 });
  assert.deepEqual(parseJoinAddr('web-1:7947'), { host: 'web-1', port: 7947 });
  assert.deepEqual(parseJoinAddr('[fd00::1]:7000'), { host: 'fd00::1', port: 7000 });
  assert.deepEqual(parseJoinAddr('fd00::1'), { host: 'fd00::1', port: 7946 });
  assert.deepEqual(parseJoinAddr('10.0.0.10:99999'), { error: "'10.0.0.10:99999': port 99999 is out of range (1 to 65535)" });
  assert.deepEqual(parseJoinAddr('10.0.0.10:http'), { error: "'10.0.0.10:http': port 'http' is not a number" });
});

test("an IPv4 in 16 bytes (how serf's memberlist advertises an address it found itself) is relayed in 16 bytes", () => {
  const mapped = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5]);
  const packet = encodeAlive({ incarnation: 3, node: 'serf-1', addr: '10.0.0.5', addrBytes: mapped, port: 7946, meta: Buffer.alloc(0), vsn: [1, 5, 2, 2, 5, 4] });
  const [msg] = decodePacket(packet) as Array<Extract<Message, { type: MsgType.Alive }>>;
  assert.equal(msg!.body.addr, '10.0.0.5', 'shown and dialled as the IPv4 it is');
  assert.ok(encodeAlive(msg!.body).equals(packet), 're-encoded byte for byte: serf would see another address (a conflict) otherwise');
  const pp = encodePushPull({ join: false, nodes: [{ name: 'serf-1', addr: '10.0.0.5', addrBytes: mapped, port: 7946, meta: Buffer.alloc(0), incarnation: 3, state: 0, vsn: [1, 5, 2, 2, 5, 4] }], userState: Buffer.alloc(0) });
  const back = decodePushPull(pp, 1).nodes[0]!;
  assert.ok(back.addrBytes?.equals(mapped));
});

test('lbagent agent: addresses that cannot work are errors at once, saying what is wrong; a start join that fails exits 1', { timeout: 120_000 }, async () => {
  const fails = async (args: string[], want: RegExp) => {
    const started = Date.now();
    const err = await run(process.execPath, [lbagentBin, 'agent', ...args], { timeout: 60_000 }).then(() => undefined, (e: { code?: number; stdout: string; stderr: string }) => e);
    assert.ok(err, `lbagent agent ${args.join(' ')} should fail`);
    assert.equal(err.code, 1, `${args.join(' ')}: exit code`);
    assert.match(err.stdout + err.stderr, want);
    return Date.now() - started;
  };
  const [g, r] = [await freePort(), await freePort()];
  const local = ['--bind', `127.0.0.1:${g}`, '--rpc-addr', `127.0.0.1:${r}`];
  await Promise.all([
    fails(['--bind', '127.0.0.1:99999'], /'--bind' invalid address '127\.0\.0\.1:99999': port 99999 is out of range/),
    fails(['--join', '10.0.0.10:http'], /'--join' join address '10\.0\.0\.10:http': port 'http' is not a number.*LBA_ERR_BAD_ADDRESS/),
    fails(['--bind', 'no-such-host.invalid', '--rpc-addr', `127.0.0.1:${r}`], /bind address: the name 'no-such-host\.invalid' does not resolve/),
  ]);
  await fails([...local, '--advertise', 'no-such-host.invalid'], /advertise address: the name 'no-such-host\.invalid' does not resolve.*LBA_ERR_BAD_ADDRESS/);
  await fails([...local, '--join', 'no-such-host.invalid'], /Error joining the cluster: .*join address 'no-such-host\.invalid': the name 'no-such-host\.invalid' does not resolve/);
  await fails([...local, '--join', `127.0.0.1:${await freePort()}`], /Error joining the cluster: .*ECONNREFUSED/);
});

test('a host with no address but loopback: an agent bound to 0.0.0.0 refuses to start (LBA_ERR_NO_ADVERTISE_ADDR); --advertise lets it', { timeout: 60_000 }, async (t) => {
  if (!needNetns(t)) return;
  const [h] = buildHosts(t, ['lonely']).hosts;
  h!.cut(); // eth0 down: no interface but lo is up
  const err = await h!.run(process.execPath, [lbagentBin, 'agent', '--node', 'lonely']).then(() => undefined, (e: { code?: number; stdout: string }) => e);
  assert.equal(err?.code, 1);
  assert.match(err!.stdout, /No private IP address found, and explicit IP not provided.*--advertise ADDR.*\[LBA_ERR_NO_ADVERTISE_ADDR\]/);
  h!.heal();
  const a = h!.lbagent(['agent', '--node', 'lonely', '--advertise', '10.99.0.1']);
  const { stdout } = await waitForMembers(h!);
  assert.match(stdout, /^lonely\s+10\.99\.0\.1:7946\s+alive/m, `--advertise wins:\n${a.out()}`);
});

async function waitForMembers(h: { run: (c: string, a: string[]) => Promise<{ stdout: string }> }) {
  const { waitFor } = await import('../helpers/wait.js');
  return waitFor('the agent answers', () => h.run(process.execPath, [lbagentBin, 'members']).catch(() => undefined), { timeoutMs: 30_000, intervalMs: 300 });
}
