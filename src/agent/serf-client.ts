// The CLI's side of serf's msgpack RPC (IPC version 1), for a real serf agent's RPC address: handshake, auth, and
// the commands `lbagent members|event|join|leave|tags|monitor|query` need. Replies are matched to requests by Seq;
// a reply with an error ends its request (what may follow it is skipped), a stream's records each carry a body.
import { connect, type Socket } from 'node:net';
import { asMap, bytes, decode, encode, list, str, text, Truncated, uint, type MapValue, type Pack } from '../wire/msgpack/index.js';
import { AgentLost } from '../errors/index.js';
import { formatHostPort, type HostPort } from '../net/index.js';
import type { MemberJson } from './rpc-target.js';

/** An error string serf answered with ("Invalid authentication token", a join failure, ...). */
export class SerfRpcAnswer extends Error {}

interface Pending {
  /** does the first reply (Error "") carry a body */
  firstBody: boolean;
  /** a first reply was seen: what follows with this Seq are stream records, each with a body */
  acked: boolean;
  onReply(body: MapValue | undefined): void;
  onError(err: Error): void;
}

export class SerfRpcClient {
  private buf: Buffer = Buffer.alloc(0);
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private closedWith?: Error;

  private constructor(private readonly sock: Socket, readonly address: string) {
    sock.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.read();
    });
    sock.on('error', (err) => this.fail(err));
    sock.on('close', () => this.fail(new Error('the connection was closed')));
  }

  /** Connect, handshake, and authenticate when a key is given (serf's -rpc-auth). */
  static async connect(addr: HostPort, auth: string | undefined, timeoutMs = 15_000): Promise<SerfRpcClient> {
    const sock = connect({ host: addr.host, port: addr.port });
    sock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })), timeoutMs);
      sock.once('connect', () => (clearTimeout(timer), resolve()));
      sock.once('error', (err) => (clearTimeout(timer), reject(err)));
    }).catch((err: Error) => {
      sock.destroy();
      throw err;
    });
    const c = new SerfRpcClient(sock, formatHostPort(addr));
    try {
      await c.call('handshake', { Version: 1 }, false, timeoutMs);
      if (auth) await c.call('auth', { AuthKey: auth }, false, timeoutMs);
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  /** One request and its one reply: the body when `withBody`. Rejects with SerfRpcAnswer when serf says no. */
  call(command: string, body: Pack | undefined, withBody: boolean, timeoutMs = 15_000): Promise<MapValue | undefined> {
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => fail(new Error(`timed out after ${timeoutMs / 1000}s`)), timeoutMs) : undefined;
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.pending.delete(seq);
        reject(err);
      };
      const seq = this.send(command, body, {
        firstBody: withBody,
        acked: false,
        onReply: (b) => {
          clearTimeout(timer);
          this.pending.delete(seq);
          resolve(b);
        },
        onError: fail,
      });
    });
  }

  /**
   * A streaming request (monitor, query): resolves once serf accepted it; `onRecord` gets each record after that
   * and returns true on the last one. `ended` settles when the stream ends (its last record, or the connection).
   */
  async open(command: string, body: Pack, onRecord: (r: MapValue) => boolean | void): Promise<{ ended: Promise<void> }> {
    let endOk!: () => void;
    let endFail!: (err: Error) => void;
    const ended = new Promise<void>((res, rej) => ((endOk = res), (endFail = rej)));
    await new Promise<void>((accepted, refused) => {
      const seq = this.send(command, body, {
        firstBody: false,
        acked: false,
        onReply: (b) => {
          const p = this.pending.get(seq)!;
          if (!p.acked) {
            p.acked = true;
            return accepted();
          }
          if (b && onRecord(b) === true) {
            this.pending.delete(seq);
            endOk();
          }
        },
        onError: (err) => {
          this.pending.delete(seq);
          refused(err);
          endFail(err);
        },
      });
    });
    return { ended };
  }

  close(): void {
    this.sock.destroy();
  }

  private send(command: string, body: Pack | undefined, p: Pending): number {
    const seq = this.seq++;
    if (this.closedWith) {
      const err = this.closedWith;
      queueMicrotask(() => p.onError(err)); // after the caller has its seq
      return seq;
    }
    this.pending.set(seq, p);
    const header = encode({ Command: command, Seq: seq });
    this.sock.write(body === undefined ? header : Buffer.concat([header, encode(body)]));
    return seq;
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const p of [...this.pending.values()]) p.onError(this.closedWith);
    this.pending.clear();
  }

  /** Every complete reply in the buffer to its request. */
  private read(): void {
    for (;;) {
      try {
        const h = decode(this.buf, 0);
        const header = asMap(h.value, 'reply header');
        // A body this client did not expect (serf sends one with some errors): skipped.
        if (!('Seq' in header) || !('Error' in header)) {
          this.buf = this.buf.subarray(h.end);
          continue;
        }
        const seq = uint(header, 'Seq');
        const error = str(header, 'Error');
        const p = this.pending.get(seq);
        let end = h.end;
        let body: MapValue | undefined;
        if (p && !error && (p.acked || p.firstBody)) {
          const b = decode(this.buf, end);
          body = asMap(b.value, 'reply body');
          end = b.end;
        }
        this.buf = this.buf.subarray(end);
        if (!p) continue;
        if (error) p.onError(new SerfRpcAnswer(error));
        else p.onReply(body);
      } catch (err) {
        if (err instanceof Truncated) return; // the rest is on its way
        this.fail(new AgentLost(this.address, `malformed serf RPC reply: ${(err as Error).message}`));
        this.sock.destroy();
        return;
      }
    }
  }
}

/** A member as serf's RPC gives it, in the HTTP RPC's shape (the CLI prints both alike). */
export function serfMemberJson(m: MapValue, verbose = false): MemberJson {
  const tags = m.Tags && typeof m.Tags === 'object' && !Buffer.isBuffer(m.Tags) && !Array.isArray(m.Tags) ? Object.fromEntries(Object.entries(m.Tags).map(([k, v]) => [k, text(v)])) : {};
  const j: MemberJson = { name: str(m, 'Name'), addr: ipText(bytes(m, 'Addr')), port: uint(m, 'Port'), status: str(m, 'Status'), tags };
  if (verbose) {
    j.protocol = { min: uint(m, 'ProtocolMin'), max: uint(m, 'ProtocolMax'), cur: uint(m, 'ProtocolCur'), delegateMin: uint(m, 'DelegateMin'), delegateMax: uint(m, 'DelegateMax'), delegateCur: uint(m, 'DelegateCur') };
  }
  return j;
}

export function serfMembers(r: MapValue | undefined, verbose = false): MemberJson[] {
  return r ? list(r, 'Members').map((m) => serfMemberJson(asMap(m, 'member'), verbose)) : [];
}

/** Go's net.IP bytes as text: 4 bytes, or 16 (an IPv4 in its ::ffff: form prints as IPv4, as Go does). */
function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return '';
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return [...b.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // WHATWG URL writes IPv6 in its canonical short form (RFC 5952), as Go does
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/**
 * serf's maintenance payload "NODE IP ROLE" for the agent at the other end (what `lbagent event pause` sends
 * without a payload): its name from `stats`, its address and role from the member list.
 */
export async function serfMaintenancePayload(c: SerfRpcClient): Promise<string> {
  const stats = await c.call('stats', undefined, true);
  const name = stats?.agent ? str(asMap(stats.agent, 'agent'), 'name') : '';
  const me = serfMembers(await c.call('members', undefined, true)).find((m) => m.name === name);
  return `${name} ${me?.addr ?? ''} ${me?.tags.role ?? ''}`.replace(/ +$/, '');
}

/** serf's monitor level names from the CLI's (error → ERR). */
export function serfLogLevel(level: string): string {
  const l = level.trim().toUpperCase();
  return l === 'ERROR' ? 'ERR' : l === 'WARNING' ? 'WARN' : l;
}
