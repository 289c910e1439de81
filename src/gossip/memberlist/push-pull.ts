// Push/pull: the full state exchange over a stream (memberlist's state.go pushPull and net.go
// sendAndReceiveState/mergeRemoteState), at join and then periodically with one random peer.
import type { Socket } from 'node:net';
import { DecodeError } from '../../wire/msgpack/index.js';
import type { NodeStateName } from './api.js';
import { decodePushPull, encodePushPull, MsgType, type PushNodeState } from './codec.js';
import { pushPullScale } from './config.js';
import { errorMessage } from '../../errors/index.js';
import type { Core } from './core.js';
import type { NodeStates } from './state.js';
import type { Streams } from './stream.js';
import { announcedNodeProblem, type DropReason } from './validate.js';

const STATE_NUM: Record<NodeStateName, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };
const STATE_NAME: NodeStateName[] = ['alive', 'suspect', 'dead', 'left'];

export class PushPull {
  private timer?: NodeJS.Timeout;

  constructor(private readonly c: Core, private readonly state: NodeStates, private readonly streams: Streams) {}

  /** Send our state, read theirs, merge it (a join, or the periodic anti-entropy round). */
  async exchange(host: string, port: number, join: boolean): Promise<void> {
    const sock = await this.streams.dial(host, port);
    sock.on('error', () => {});
    try {
      await this.streams.write(sock, this.localState(join));
      const plain = await this.streams.read(sock);
      if (plain[0] === MsgType.Err) throw new Error('remote error');
      if (plain[0] !== MsgType.PushPull) throw new DecodeError(`expected push/pull, got ${plain[0]}`);
      const remote = decodePushPull(plain, 1);
      this.merge(remote.nodes, remote.userState, join);
    } finally {
      sock.end();
    }
  }

  /** A peer's push/pull arrived on `sock`: answer with ours, then merge theirs. */
  async answer(sock: Socket, plain: Buffer): Promise<void> {
    const remote = decodePushPull(plain, 1);
    await this.streams.write(sock, this.localState(remote.join));
    this.merge(remote.nodes, remote.userState, remote.join);
  }

  private localState(join: boolean): Buffer {
    const nodes: PushNodeState[] = [...this.state.nodes.values()].map((n) => ({ name: n.name, addr: n.addr, addrBytes: n.addrBytes, port: n.port, meta: n.meta, incarnation: n.incarnation, state: STATE_NUM[n.state], vsn: n.vsn }));
    return encodePushPull({ join, nodes, userState: this.c.cfg.delegate.localState(join) });
  }

  private merge(nodes: PushNodeState[], userState: Buffer, join: boolean): void {
    for (const r of nodes) {
      const bad: DropReason | undefined = announcedNodeProblem({ node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn });
      if (bad) {
        this.c.drop('record', bad, r.name);
        continue;
      }
      const state = STATE_NAME[r.state] ?? 'dead';
      if (state === 'alive') this.state.aliveNode({ incarnation: r.incarnation, node: r.name, addr: r.addr, addrBytes: r.addrBytes, port: r.port, meta: r.meta, vsn: r.vsn });
      else if (state === 'left') this.state.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name });
      // A remote dead or suspect view is only a suspicion here: we check for ourselves.
      else this.state.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.c.name });
    }
    if (userState.length) this.c.cfg.delegate.mergeRemoteState(userState, join);
  }

  /** The periodic round, its period scaled with the cluster size and jittered. */
  schedule(): void {
    const { c } = this;
    if (c.t.pushPullIntervalMs <= 0 || c.stopped) return;
    const t = setTimeout(() => {
      const peers = this.state.peers((n) => n.state === 'alive');
      const p = peers[Math.floor(Math.random() * peers.length)];
      if (p) this.exchange(p.addr, p.port, false).catch((err) => c.log?.warn(`memberlist: Push/Pull with ${p.name} failed: ${errorMessage(err)}`));
      this.schedule();
    }, pushPullScale(c.t.pushPullIntervalMs, this.state.numMembers()) * (0.5 + Math.random() / 2));
    t.unref();
    this.timer = t;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
