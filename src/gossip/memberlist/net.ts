// What comes in (memberlist's net.go handleCommand and handleConn): a UDP packet is unwrapped (label, AES-GCM,
// then decodePacket) and each message goes to its handler; a TCP stream carries a push/pull, a fallback ping or a
// large user message. What fails to decode or breaks a rule is dropped and counted, never thrown.
import type { Socket } from 'node:net';
import { asMap, decode, DecodeError, uint } from '../../wire/msgpack/index.js';
import { errorMessage } from '../../errors/index.js';
import { decodePacket, encodeAck, MsgType, type Message } from './codec.js';
import type { Core } from './core.js';
import type { Prober } from './probe.js';
import type { PushPull } from './push-pull.js';
import type { NodeStates } from './state.js';
import type { Streams } from './stream.js';
import type { PacketFrom } from './transport.js';
import { announcedNodeProblem, nodeNameProblem } from './validate.js';

export class Receiver {
  constructor(
    private readonly c: Core,
    private readonly state: NodeStates,
    private readonly prober: Prober,
    private readonly pushPull: PushPull,
    private readonly streams: Streams,
  ) {}

  onPacket(raw: Buffer, from: PacketFrom): void {
    const { c } = this;
    c.st.packetsReceived++;
    c.st.packetBytesReceived += raw.length;
    if (c.stopped) return;
    let buf: Buffer = raw;
    let msgs: Message[];
    try {
      let label: Buffer = Buffer.alloc(0);
      if (buf[0] === MsgType.HasLabel) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) throw new DecodeError('bad label');
        label = buf.subarray(2, 2 + buf[1]!);
        buf = buf.subarray(2 + buf[1]!);
      }
      if (c.ring.enabled) {
        try {
          buf = c.ring.decrypt(buf, label);
        } catch {
          if (!c.cfg.acceptPlain) return c.drop('packet', 'decrypt');
        }
      }
      msgs = decodePacket(buf);
    } catch (err) {
      return c.drop('packet', err instanceof DecodeError ? 'malformed' : 'error');
    }
    for (const msg of msgs) {
      try {
        this.handle(msg, from);
      } catch (err) {
        c.drop('packet', 'handler');
        c.log?.warn({ err: errorMessage(err) }, 'memberlist: failed to handle message');
      }
    }
  }

  private handle(msg: Message, from: PacketFrom): void {
    const { c } = this;
    switch (msg.type) {
      case MsgType.Ping:
        if (msg.body.node && msg.body.node !== c.name) return c.drop('packet', 'ping for another node');
        return this.prober.onPing(msg.body, from);
      case MsgType.IndirectPing: {
        const p = msg.body;
        if (p.port < 1 || p.port > 65535) return c.drop('packet', 'invalid port');
        if (p.node && nodeNameProblem(p.node)) return c.drop('packet', 'invalid node name');
        return this.prober.onIndirectPing(p, from);
      }
      case MsgType.Ack:
        return this.prober.onAck(msg.body.seqNo, msg.body.payload);
      case MsgType.Nack:
        return this.prober.onNack(msg.body.seqNo);
      case MsgType.Suspect:
      case MsgType.Dead: {
        if (nodeNameProblem(msg.body.node) || nodeNameProblem(msg.body.from)) return c.drop('packet', 'invalid node name');
        return msg.type === MsgType.Suspect ? this.state.suspectNode(msg.body) : this.state.deadNode(msg.body);
      }
      case MsgType.Alive: {
        const bad = announcedNodeProblem(msg.body);
        if (bad) return c.drop('packet', bad, msg.body.node);
        return this.state.aliveNode(msg.body);
      }
      case MsgType.User:
        c.cfg.delegate.notifyMsg(msg.body);
        return;
    }
  }

  async onStream(sock: Socket): Promise<void> {
    const { c } = this;
    sock.on('error', () => {});
    c.st.streamsAccepted++;
    try {
      const plain = await this.streams.read(sock);
      const type = plain[0];
      if (type === MsgType.PushPull) {
        await this.pushPull.answer(sock, plain);
      } else if (type === MsgType.Ping) {
        const ping = decodePacket(plain)[0];
        if (ping?.type !== MsgType.Ping) throw new DecodeError('bad stream ping');
        await this.streams.write(sock, encodeAck({ seqNo: ping.body.seqNo, payload: c.ackPayload() }));
      } else if (type === MsgType.User) {
        const { value, end } = decode(plain, 1);
        const len = uint(asMap(value, 'user header'), 'UserMsgLen');
        c.cfg.delegate.notifyMsg(Buffer.from(plain.subarray(end, end + len)));
      } else {
        throw new DecodeError(`unexpected stream message ${type}`);
      }
    } catch (err) {
      c.drop('stream', err instanceof DecodeError ? 'malformed stream' : errorMessage(err));
    } finally {
      sock.end();
    }
  }
}
