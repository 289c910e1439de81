// lbagent agents as real processes, and interop with Debian's serf: join, members with tags, pause events to
// handlers in both directions, tags updates, leave → left, SIGKILL → failed, encryption and a wrong key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';
import { startSerfAgent } from '../helpers/serf.js';
import { lbagentBin } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';
import { needTool } from '../helpers/tools.js';

const run = promisify(execFile);
const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const OTHER_KEY = 'HxwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgEAHx4=';

interface Agent {
  name: string;
  gossip: number;
  rpc: number;
  proc: ChildProcess;
  log: () => string;
}

function track(t: import('node:test').TestContext, proc: ChildProcess): () => string {
  let out = '';
  proc.stdout?.on('data', (c) => (out += c));
  proc.stderr?.on('data', (c) => (out += c));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return () => out;
}

async function lbagent(t: import('node:test').TestContext, name: string, args: string[], join?: number): Promise<Agent> {
  const [gossip, rpc] = [await freePort(), await freePort()];
  const cmd = join ? ['join', `127.0.0.1:${join}`] : ['agent'];
  const proc = spawn(process.execPath, [lbagentBin, ...cmd, '--node', name, '--bind', `127.0.0.1:${gossip}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', ...args], {
    env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = track(t, proc);
  await waitFor(`agent ${name} RPC`, async () => (await cli(rpc, 'members').catch(() => '')) !== '', { timeoutMs: 30_000 });
  return { name, gossip, rpc, proc, log };
}

async function serfAgent(t: import('node:test').TestContext, name: string, args: string[]): Promise<Agent> {
  const s = await startSerfAgent(t, name, ['-profile=local', ...args]);
  return { name, gossip: s.bind, rpc: s.rpc, proc: s.proc, log: s.output };
}

async function cli(rpc: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [lbagentBin, ...args, '--rpc-addr', `127.0.0.1:${rpc}`]);
  return stdout;
}

type MemberJson = { name: string; status: string; tags: Record<string, string> };
const members = async (rpc: number): Promise<MemberJson[]> => JSON.parse(await cli(rpc, 'members', '--format', 'json')) as MemberJson[];
const serfMembers = async (rpc: number): Promise<MemberJson[]> =>
  (JSON.parse((await run('serf', ['members', `-rpc-addr=127.0.0.1:${rpc}`, '-format=json'])).stdout) as { members: MemberJson[] }).members;
const statusOf = (list: MemberJson[], name: string) => list.find((m) => m.name === name)?.status;

test('two lbagent agents: join, members with tags, pause event to a handler, tags update, leave, SIGKILL', async (t) => {
  const dir = tempDir(t, 'lbagent-agents-');
  const out = join(dir, 'pause.txt');
  const a = await lbagent(t, 'lb-1', ['--role', 'lb', '--event-handler', `user:pause=cat >> ${out}`]);
  const b = await lbagent(t, 'web-1', ['--role', 'web', '--tag', 'dc=lab'], a.gossip);
  await waitFor('both see each other', async () => (await members(a.rpc)).length === 2 && (await members(b.rpc)).length === 2);
  const text = await cli(a.rpc, 'members');
  assert.match(text, /^web-1\s+127\.0\.0\.1:\d+\s+alive\s+dc=lab,role=web$/m);
  assert.match(await cli(b.rpc, 'event', 'pause'), /Payload: "web-1 127\.0\.0\.1 web"/);
  await waitFor('pause reached the handler with serf\'s payload', () => existsSync(out) && readFileSync(out, 'utf8') === 'web-1 127.0.0.1 web\n');
  await cli(b.rpc, 'tags', '--set', 'role=api');
  await waitFor('tags update seen', async () => (await members(a.rpc)).find((m) => m.name === 'web-1')?.tags.role === 'api');
  const c = await lbagent(t, 'web-2', ['--role', 'web'], a.gossip);
  await waitFor('web-2 alive at lb-1', async () => statusOf(await members(a.rpc), 'web-2') === 'alive');
  await cli(b.rpc, 'leave');
  await waitFor('web-1 left', async () => statusOf(await members(a.rpc), 'web-1') === 'left');
  await waitFor('web-1 process exited 0', () => b.proc.exitCode === 0);
  c.proc.kill('SIGKILL');
  await waitFor('web-2 failed', async () => statusOf(await members(a.rpc), 'web-2') === 'failed', { timeoutMs: 30_000 });
});

test('interop with a real serf agent, both directions: members and tags, pause events to handlers', async (t) => {
  if (!needTool(t, 'serf')) return;
  const dir = tempDir(t, 'lbagent-serf-');
  const lbOut = join(dir, 'lb-pause.txt');
  const serfOut = join(dir, 'serf-pause.txt');
  const s = await serfAgent(t, 'serf-web', ['-tag', 'role=web', `-event-handler=user:pause=cat >> ${serfOut}`, '-event-handler=query:version=echo serf-v1']);
  const a = await lbagent(t, 'lb-1', ['--role', 'lb', '--event-handler', `user:pause=cat >> ${lbOut}`, '--event-handler', 'query:version=echo lb-v2'], s.gossip);
  await waitFor('lbagent sees serf with its tags', async () => (await members(a.rpc)).find((m) => m.name === 'serf-web')?.tags.role === 'web');
  await waitFor('serf members lists lbagent with its tags', async () => (await serfMembers(s.rpc)).some((m) => m.name === 'lb-1' && m.status === 'alive' && m.tags.role === 'lb'));
  await run('serf', ['event', `-rpc-addr=127.0.0.1:${s.rpc}`, 'pause', 'serf-web 127.0.0.1 web']);
  await waitFor('serf event pause reached the lbagent handler', () => existsSync(lbOut) && readFileSync(lbOut, 'utf8').includes('serf-web 127.0.0.1 web'));
  await cli(a.rpc, 'event', 'pause');
  await waitFor('lbagent event pause reached serf\'s handler', () => existsSync(serfOut) && readFileSync(serfOut, 'utf8').includes('lb-1 127.0.0.1 lb'));
  // Queries both ways: each side's query handler answers the other's query; filters pick who takes it.
  const fromLb = await cli(a.rpc, 'query', '--timeout', '3s', 'version');
  assert.match(fromLb, /^Query 'version' dispatched$/m);
  assert.match(fromLb, /^Ack from 'serf-web'$/m);
  assert.match(fromLb, /^Response from 'serf-web': serf-v1$/m);
  assert.match(fromLb, /^Response from 'lb-1': lb-v2$/m);
  assert.match(fromLb, /^Total Acks: 2\nTotal Responses: 2$/m);
  const filtered = JSON.parse(await cli(a.rpc, 'query', '--timeout', '2s', '--tag', 'role=^w', '--format', 'json', 'version')) as { acks: string[]; responses: Record<string, string> };
  assert.deepEqual(filtered, { acks: ['serf-web'], responses: { 'serf-web': 'serf-v1\n' } });
  const fromSerf = (await run('serf', ['query', `-rpc-addr=127.0.0.1:${s.rpc}`, '-timeout=3s', '-node=lb-1', 'version'])).stdout;
  assert.match(fromSerf, /Ack from 'lb-1'/);
  assert.match(fromSerf, /Response from 'lb-1': lb-v2/);
  assert.match(fromSerf, /Total Responses: 1/);
  // A serf agent that joins an lbagent node (the other direction).
  const s2 = await serfAgent(t, 'serf-api', ['-tag', 'role=api', `-join=127.0.0.1:${a.gossip}`]);
  await waitFor('serf-api seen by lbagent', async () => statusOf(await members(a.rpc), 'serf-api') === 'alive');
  s2.proc.kill('SIGKILL');
  await waitFor('SIGKILLed serf is failed at lbagent', async () => statusOf(await members(a.rpc), 'serf-api') === 'failed', { timeoutMs: 30_000 });
  a.proc.kill('SIGKILL');
  await waitFor('SIGKILLed lbagent is failed at serf', async () => statusOf(await serfMembers(s.rpc), 'lb-1') === 'failed', { timeoutMs: 30_000 });
});

test('encryption with serf: the same key joins; a wrong key is refused by both', async (t) => {
  if (!needTool(t, 'serf')) return;
  const s = await serfAgent(t, 'serf-enc', ['-tag', 'role=web', `-encrypt=${KEY}`]);
  const a = await lbagent(t, 'lb-enc', ['--role', 'lb', '--encrypt', KEY], s.gossip);
  await waitFor('encrypted cluster formed', async () => (await serfMembers(s.rpc)).some((m) => m.name === 'lb-enc' && m.status === 'alive'));
  // lbagent with the wrong key cannot join serf...
  const [g, r] = [await freePort(), await freePort()];
  const bad = spawn(process.execPath, [lbagentBin, 'agent', '--node', 'lb-bad', '--bind', `127.0.0.1:${g}`, '--rpc-addr', `127.0.0.1:${r}`, '--profile', 'local', '--encrypt', OTHER_KEY], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(t, bad);
  await waitFor('bad agent up', async () => (await cli(r, 'members').catch(() => '')) !== '', { timeoutMs: 30_000 });
  await assert.rejects(run(process.execPath, [lbagentBin, 'join', `127.0.0.1:${s.gossip}`, '--rpc-addr', `127.0.0.1:${r}`]));
  // ...and a serf agent with the wrong key cannot join lbagent.
  const s2 = await serfAgent(t, 'serf-bad', [`-encrypt=${OTHER_KEY}`]);
  await assert.rejects(run('serf', ['join', `-rpc-addr=127.0.0.1:${s2.rpc}`, `127.0.0.1:${a.gossip}`]));
  assert.ok(!(await members(a.rpc)).some((m) => m.name === 'serf-bad' || m.name === 'lb-bad'));
});

test('keys: rotate the gossip key across lbagent and serf nodes (install, use, remove), list counts every member', async (t) => {
  if (!needTool(t, 'serf')) return;
  const a = await lbagent(t, 'key-lb', ['--encrypt', KEY]);
  const s = await serfAgent(t, 'key-serf', [`-encrypt=${KEY}`, `-join=127.0.0.1:${a.gossip}`]);
  const b = await lbagent(t, 'key-web', ['--encrypt', KEY], a.gossip);
  await waitFor('three alive members', async () => (await members(a.rpc)).filter((m) => m.status === 'alive').length === 3 && (await serfMembers(s.rpc)).filter((m) => m.status === 'alive').length === 3);
  const esc = (k: string) => k.replace(/[+/=]/g, (c) => `\\${c}`);
  assert.match(await cli(a.rpc, 'keys', '--list'), new RegExp(`^${esc(KEY)}\\s+\\[3/3\\]`, 'm'));

  // Installed through lbagent: serf's node has it too, as serf's own list shows.
  assert.match(await cli(a.rpc, 'keys', '--install', OTHER_KEY), /Success!/);
  assert.match((await run('serf', ['keys', '-list', `-rpc-addr=127.0.0.1:${s.rpc}`])).stdout, new RegExp(`${esc(OTHER_KEY)}\\s+\\[3/3\\]`));
  // Made primary through serf's CLI: the lbagent nodes follow.
  await run('serf', ['keys', `-use=${OTHER_KEY}`, `-rpc-addr=127.0.0.1:${s.rpc}`]);
  const list = await cli(b.rpc, 'keys', '--list');
  assert.match(list, new RegExp(`^${esc(OTHER_KEY)}\\s+\\[3/3\\]\\s+primary on 3`, 'm'));
  // The primary cannot be removed anywhere; the old key can.
  await assert.rejects(cli(a.rpc, 'keys', '--remove', OTHER_KEY), (err: { stderr: string }) => {
    assert.match(err.stderr, /Error removing key: 0\/3 nodes reported success/);
    assert.match(err.stderr, /key-serf: .*primary/i);
    return true;
  });
  assert.match(await cli(b.rpc, 'keys', '--remove', KEY), /Success!/);
  assert.doesNotMatch(await cli(a.rpc, 'keys', '--list'), new RegExp(esc(KEY)));
  // The cluster now speaks the new key only: a node with just that key joins, one with the old key cannot.
  await lbagent(t, 'key-new', ['--encrypt', OTHER_KEY], b.gossip);
  await waitFor('the new-key node is alive everywhere', async () => (await serfMembers(s.rpc)).some((m) => m.name === 'key-new' && m.status === 'alive'));
  const old = await serfAgent(t, 'key-old', [`-encrypt=${KEY}`]);
  await assert.rejects(run('serf', ['join', `-rpc-addr=127.0.0.1:${old.rpc}`, `127.0.0.1:${a.gossip}`]));
});

test('agent RPC: the auth key is required when set; /v1/stats; /v1/stream sends filtered events as NDJSON', async (t) => {
  // Started by hand: the lbagent() helper polls `members` without the key.
  const [gossip, rpc] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [lbagentBin, 'agent', '--node', 'rpc-b', '--bind', `127.0.0.1:${gossip}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', '--rpc-auth', 's3cret'], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(t, proc);
  const base = `http://127.0.0.1:${rpc}`;
  const auth = { authorization: 'Bearer s3cret' };
  await waitFor('agent RPC up', async () => (await fetch(`${base}/v1/members`, { headers: auth })).status === 200, { timeoutMs: 30_000 });
  assert.equal((await fetch(`${base}/v1/members`)).status, 401);
  assert.equal((await fetch(`${base}/v1/members`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  await assert.rejects(cli(rpc, 'members'), (err: { stderr: string }) => /Invalid authentication token/.test(err.stderr));
  assert.match(await cli(rpc, 'members', '--rpc-auth', 's3cret'), /^rpc-b\s/m);

  const stats = (await (await fetch(`${base}/v1/stats`, { headers: auth })).json()) as { members: number; memberlist: object; eventTime: number };
  assert.equal(stats.members, 1);
  assert.equal(typeof stats.eventTime, 'number');
  assert.equal((await fetch(`${base}/v1/keys`, { headers: auth })).status, 200, 'listing works without encryption (no keys)');
  assert.equal((await fetch(`${base}/v1/keys/install`, { method: 'POST', headers: auth, body: JSON.stringify({ key: KEY }) })).status, 400, 'no keyring to modify without encryption');

  // The stream: only user events named deploy pass the filter.
  const ac = new AbortController();
  t.after(() => ac.abort());
  const res = await fetch(`${base}/v1/stream?filter=user:deploy`, { headers: auth, signal: ac.signal });
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  const reader = res.body!.getReader();
  let text = '';
  const lines = async () => {
    for (;;) {
      const found = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { event: string; name: string; payload: string });
      if (found.length) return found;
      const { value, done } = await reader.read();
      if (done) return [];
      text += Buffer.from(value).toString('utf8');
    }
  };
  await cli(rpc, 'event', 'other', 'x', '--rpc-auth', 's3cret');
  await cli(rpc, 'event', 'deploy', 'v2', '--rpc-auth', 's3cret');
  const [first] = await lines();
  assert.equal(first!.event, 'user');
  assert.equal(first!.name, 'deploy', 'the other event was filtered out');
  assert.equal(Buffer.from(first!.payload, 'base64').toString(), 'v2');
});

test("serf's own RPC on the agent's RPC address: the serf CLI drives an lbagent agent; event streams for client libraries", async (t) => {
  if (!needTool(t, 'serf')) return;
  const a = await lbagent(t, 'ipc-a', ['--role', 'web', '--tag', 'dc=lab']);
  const b = await lbagent(t, 'ipc-b', ['--role', 'api']);
  // serf's CLI wants its flags before the arguments.
  const serf = (cmd: string, ...args: string[]) => run('serf', [cmd, `-rpc-addr=127.0.0.1:${a.rpc}`, ...args]).then((r) => r.stdout);
  // serf join / members (with serf's filters) / tags / event / info against the lbagent agent.
  assert.match(await serf('join', `127.0.0.1:${b.gossip}`), /Successfully joined cluster by contacting 1 nodes/);
  await waitFor('both members', async () => (await serf('members')).trim().split('\n').length === 2);
  assert.match(await serf('members', '-tag', 'role=api'), /^ipc-b\s+127\.0\.0\.1:\d+\s+alive\s+role=api$/m);
  assert.doesNotMatch(await serf('members', '-tag', 'role=api'), /ipc-a/);
  await serf('tags', '-set', 'version=2');
  await waitFor('the tag reached the other agent', async () => (await members(b.rpc)).find((m) => m.name === 'ipc-a')?.tags.version === '2');
  assert.match(await serf('info'), /^agent:\n\tname = ipc-a$/m);

  // A client library's event stream (msgpack over the same port): handshake, stream user events, receive one.
  const { connect } = await import('node:net');
  const { encode, decode } = await import('../../src/wire/msgpack/index.js');
  const sock = connect({ host: '127.0.0.1', port: a.rpc });
  t.after(() => sock.destroy());
  let buf = Buffer.alloc(0);
  const records: unknown[] = [];
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    for (;;) {
      try {
        const { value, end } = decode(buf, 0);
        records.push(value);
        buf = buf.subarray(end);
      } catch {
        return;
      }
    }
  });
  sock.write(Buffer.concat([encode({ Command: 'handshake', Seq: 1 }), encode({ Version: 1 }), encode({ Command: 'stream', Seq: 2 }), encode({ Type: 'user:deploy' })]));
  await waitFor('handshake and stream acknowledged', () => records.length >= 2);
  assert.match((await run('serf', ['event', `-rpc-addr=127.0.0.1:${b.rpc}`, 'other', 'x'])).stdout, /Event 'other' dispatched/);
  await cli(b.rpc, 'event', 'deploy', 'v3');
  const ev = await waitFor('the deploy event on the stream', () =>
    records.find((r) => (r as { Event?: Buffer }).Event?.toString() === 'user') as { Name: Buffer; Payload: Buffer; LTime: number } | undefined);
  assert.equal(ev.Name.toString(), 'deploy', 'filtered: the other events did not pass');
  assert.equal(ev.Payload.toString(), 'v3');
  // force-leave: a SIGKILLed member goes from failed to left everywhere (serf's CLI), then is pruned (lbagent's).
  const c = await lbagent(t, 'ipc-c', ['--role', 'web'], a.gossip);
  await waitFor('c alive at b', async () => statusOf(await members(b.rpc), 'ipc-c') === 'alive');
  c.proc.kill('SIGKILL');
  await waitFor('c failed', async () => statusOf(await members(a.rpc), 'ipc-c') === 'failed', { timeoutMs: 30_000 });
  await serf('force-leave', 'ipc-c');
  await waitFor('c left at both', async () => statusOf(await members(a.rpc), 'ipc-c') === 'left' && statusOf(await members(b.rpc), 'ipc-c') === 'left');
  await cli(a.rpc, 'force-leave', '--prune', 'ipc-c');
  await waitFor('c pruned at both', async () => !statusOf(await members(a.rpc), 'ipc-c') && !statusOf(await members(b.rpc), 'ipc-c'));
  // serf query through the lbagent agent's RPC; a client library streams queries and answers one with `respond`.
  const viaIpc = (await run('serf', ['query', `-rpc-addr=127.0.0.1:${a.rpc}`, '-timeout=2s', 'anything'])).stdout;
  assert.match(viaIpc, /Ack from 'ipc-a'/);
  assert.match(viaIpc, /Ack from 'ipc-b'/);
  assert.match(viaIpc, /Total Acks: 2\nTotal Responses: 0/);
  sock.write(Buffer.concat([encode({ Command: 'stream', Seq: 3 }), encode({ Type: 'query:ping' })]));
  await waitFor('the query stream acknowledged', () => records.length >= 4);
  const asked = cli(b.rpc, 'query', '--timeout', '5s', '--node', 'ipc-a', 'ping', 'hello');
  const q = await waitFor('the ping query on the stream', () =>
    records.find((r) => (r as { Event?: Buffer }).Event?.toString() === 'query') as { ID: number; Name: Buffer; Payload: Buffer } | undefined);
  assert.equal(q.Payload.toString(), 'hello');
  sock.write(Buffer.concat([encode({ Command: 'respond', Seq: 4 }), encode({ ID: q.ID, Payload: Buffer.from('pong from a client') })]));
  assert.match(await asked, /^Response from 'ipc-a': pong from a client$/m);
  // monitor: the agent's log in serf's format, kept lines first, at the monitor's own level; over serf's RPC
  // (serf monitor, and a client library's monitor + stop) and over lbagent's (lbagent monitor).
  const watch = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => p.kill('SIGKILL'));
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    return { p, out: () => out };
  };
  const serfMon = watch('serf', ['monitor', `-rpc-addr=127.0.0.1:${a.rpc}`, '-log-level=info']);
  const lbMon = watch(process.execPath, [lbagentBin, 'monitor', '--rpc-addr', `127.0.0.1:${a.rpc}`, '--log-level', 'debug']);
  const joinLine = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[INFO\] serf: EventMemberJoin: ipc-b 127\.0\.0\.1$/m;
  await waitFor('serf monitor shows the kept join line', () => joinLine.test(serfMon.out()));
  await waitFor('lbagent monitor shows the kept join line', () => joinLine.test(lbMon.out()));
  await cli(b.rpc, 'leave');
  await waitFor('both monitors show the leave as it happens', () => /\[INFO\] serf: EventMemberLeave: ipc-b/.test(serfMon.out()) && /\[INFO\] serf: EventMemberLeave: ipc-b/.test(lbMon.out()), { timeoutMs: 30_000 });
  sock.write(Buffer.concat([encode({ Command: 'monitor', Seq: 6 }), encode({ LogLevel: 'warn' }), encode({ Command: 'monitor', Seq: 7 }), encode({ LogLevel: 'loud' })]));
  const badLevel = await waitFor('the bad level refused', () => records.find((r) => (r as { Seq?: number }).Seq === 7) as { Error: Buffer } | undefined);
  assert.equal(badLevel.Error.toString(), 'Unknown log level: loud');
  assert.equal((records.find((r) => (r as { Seq?: number }).Seq === 6) as { Error: Buffer }).Error.toString(), '', 'the warn monitor was accepted');
  assert.ok(!records.some((r) => /EventMemberJoin/.test(String((r as { Log?: Buffer }).Log ?? ''))), 'info lines are below a warn monitor');
  await assert.rejects(cli(a.rpc, 'monitor', '--log-level', 'loud'), /Unknown log level: loud/);
  await assert.rejects(cli(a.rpc, 'query', '_serf_list-keys'), /Queries cannot contain the '_serf_' prefix/);
  // Commands lbagent does not offer are refused in serf's words; the HTTP RPC still answers on the same port.
  sock.write(Buffer.concat([encode({ Command: 'get-coordinate', Seq: 5 }), encode({ Node: 'ipc-b' })]));
  const refused = await waitFor('the get-coordinate answer', () => records.find((r) => (r as { Seq?: number }).Seq === 5) as { Error: Buffer } | undefined);
  assert.equal(refused.Error.toString(), 'Unsupported command');
  assert.match(await cli(a.rpc, 'members'), /^ipc-b\s/m);
  // Malformed msgpack closes that connection only.
  const bad = connect({ host: '127.0.0.1', port: a.rpc });
  bad.on('error', () => {});
  bad.write(Buffer.from([0x82, 0xc1, 0xc1, 0xff, 0x00]));
  await new Promise((r) => bad.once('close', r));
  assert.match(await serf('members'), /^ipc-a\s/m);
});
