// Issue 14 (part 2), end to end: a running agent gets serf queries whose tag filter backtracks exponentially in
// JavaScript (`(a+)+$` against its tag `aaa…!`) over real UDP, and keeps answering its RPC meanwhile (the old
// code froze for seconds per query). A look-ahead filter (not RE2) is not processed, as serf: no ack, serf's
// warning. RPC member filters refuse such patterns with 400 (HTTP) and serf's error (msgpack RPC).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodePacket, MsgType } from '../../src/gossip/memberlist/codec.js';
import { decode, encode } from '../../src/wire/msgpack/index.js';
import { decodeSerf, encodeQuery, QUERY_FLAG_ACK, SerfMsg, tagFilter } from '../../src/gossip/serf/messages.js';
import { freePort } from '../helpers/ports.js';
import { lbagentBin } from '../helpers/paths.js';
import { GiveUp, waitFor } from '../helpers/wait.js';

const EVIL_TAG = `${'a'.repeat(27)}!`; // `(a+)+$` on it: ~12 s in JavaScript's engine on this kind of machine
const BOUND_MS = 3000; // an RPC round trip while queries are processed (normally a few ms)

test('queries with catastrophic tag filters do not stall the agent; a look-ahead filter is not processed (serf)', async (t) => {
  const [gossip, rpc] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [lbagentBin, 'agent', '--node', 'redos-1', '--bind', `127.0.0.1:${gossip}`, '--rpc-addr', `127.0.0.1:${rpc}`, '--profile', 'local', '--tag', `role=${EVIL_TAG}`], {
    env: { ...process.env, LBAGENT_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (c) => (log += c));
  proc.stderr.on('data', (c) => (log += c));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  const base = `http://127.0.0.1:${rpc}`;
  /** an RPC call that must answer within BOUND_MS (GiveUp: waitFor fails at once rather than polling on) */
  const rpcGet = async (path: string) => {
    const t0 = Date.now();
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(BOUND_MS) }).catch((err: Error) => {
      throw new GiveUp(`${path} did not answer within ${BOUND_MS} ms (${err.name})`);
    });
    const body = (await res.json()) as unknown;
    if (Date.now() - t0 >= BOUND_MS) throw new GiveUp(`${path} took ${Date.now() - t0} ms`);
    return { status: res.status, body };
  };
  await waitFor('agent RPC up', async () => (await fetch(`${base}/v1/stats`)).ok, { timeoutMs: 30_000 });

  // Our UDP socket poses as the querying node: acks come back to it.
  const udp = createSocket('udp4');
  t.after(() => udp.close());
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const acks: number[] = [];
  udp.on('message', (buf) => {
    try {
      for (const m of decodePacket(buf)) {
        if (m.type !== MsgType.User) continue;
        const s = decodeSerf(m.body as Buffer);
        if (s.type === SerfMsg.QueryResponse && s.body.flags & QUERY_FLAG_ACK) acks.push(s.body.id);
      }
    } catch {
      // not for this test
    }
  });
  const sendQuery = (ltime: number, id: number, expr: string) => {
    const q = encodeQuery({
      ltime, id, addr: '127.0.0.1', port: udp.address().port, sourceNode: 'tester', filters: [tagFilter('role', expr)], flags: QUERY_FLAG_ACK,
      relayFactor: 0, timeoutNs: 1e9, name: 'probe', payload: Buffer.alloc(0),
    });
    return new Promise<void>((r) => udp.send(Buffer.concat([Buffer.from([MsgType.User]), q]), gossip, '127.0.0.1', () => r()));
  };
  const queryTime = async () => ((await rpcGet('/v1/stats')).body as { queryTime: number }).queryTime;

  // Three catastrophic filters: the agent takes them (its query clock moves past them) and answers all along.
  await sendQuery(50, 1, '(a+)+$');
  await sendQuery(51, 2, '(a|aa)+$');
  await sendQuery(52, 3, '([a-z]+)+$');
  await waitFor('the queries were processed, the RPC answering within the bound', async () => (await queryTime()) > 52, { timeoutMs: 20_000, intervalMs: 20 });
  // The member filter of the RPC, with the same pattern against the same tag.
  assert.deepEqual((await rpcGet(`/v1/members?tag=${encodeURIComponent('role=(a+)+$')}`)).body, []);

  // Look-ahead is not RE2 (nor Go): not processed, no ack, serf's warning. A query after it is acked.
  await sendQuery(60, 4, '(?=a)a');
  await sendQuery(61, 5, '^a+!$');
  await waitFor('the matching query is acked', () => acks.includes(5));
  assert.ok(!acks.includes(4), 'the look-ahead query was not processed');
  assert.deepEqual(acks, [5], 'no catastrophic filter matched');
  await waitFor('serf\'s warning logged', () => log.includes('serf: failed to compile filter regex ((?=a)a): error parsing regexp: invalid or unsupported Perl syntax'));

  // RPC member filters with a pattern RE2 refuses: 400 over HTTP, serf's error over serf's RPC.
  const bad = await rpcGet(`/v1/members?tag=${encodeURIComponent('role=(a)\\1')}`);
  assert.equal(bad.status, 400);
  assert.match((bad.body as { error: string }).error, /^invalid filter: error parsing regexp: invalid escape sequence/);
  const sock = connect(rpc, '127.0.0.1');
  t.after(() => sock.destroy());
  let buf = Buffer.alloc(0);
  const replies: Array<{ Seq: number; Error: Buffer }> = [];
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    for (;;) {
      try {
        const { value, end } = decode(buf, 0);
        replies.push(value as unknown as { Seq: number; Error: Buffer });
        buf = buf.subarray(end);
      } catch {
        return;
      }
    }
  });
  sock.write(Buffer.concat([
    encode({ Command: 'handshake', Seq: 1 }), encode({ Version: 1 }),
    encode({ Command: 'members-filtered', Seq: 2 }), encode({ Tags: { role: '(?!x)' }, Status: '', Name: '' }),
  ]));
  const reply = await waitFor('members-filtered refused', () => replies.find((r) => r.Seq === 2));
  assert.match(reply.Error.toString(), /^Failed to compile regex: error parsing regexp: invalid or unsupported Perl syntax/);
  assert.equal(proc.exitCode, null, 'the agent is still running');
});
