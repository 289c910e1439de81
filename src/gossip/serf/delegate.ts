// serf's memberlist delegate (delegate.go, and ping_delegate.go's ack payload): our tags as node meta, serf's
// broadcasts piggy-backed on memberlist's packets, serf's messages dispatched by type, and serf's state in
// memberlist's push/pull (member status times, the event buffer, the clocks).
import { DecodeError, encode, Float } from '../../wire/msgpack/index.js';
import { errorMessage } from '../../errors/index.js';
import type { MemberlistDelegate } from '../memberlist/api.js';
import { nodeNameProblem } from '../memberlist/validate.js';
import type { SerfCore } from './core.js';
import type { Members } from './members.js';
import { decodeSerf, encodePushPull, encodeTags, QUERY_FLAG_ACK, SerfMsg, type SerfMessage, type SerfPushPull } from './messages.js';
import type { Queries } from './query.js';
import type { UserEvents } from './user-events.js';

export class SerfDelegate implements MemberlistDelegate {
  constructor(private readonly c: SerfCore, private readonly members: Members, private readonly events: UserEvents, private readonly queries: Queries) {}

  nodeMeta(limit: number): Buffer {
    const meta = encodeTags(this.c.tags);
    if (meta.length > limit) throw new Error(`Node tags '${JSON.stringify(this.c.tags)}' exceeds length limit of ${limit} bytes`);
    return meta;
  }

  getBroadcasts(overhead: number, limit: number): Buffer[] {
    const { c } = this;
    const out = c.intentQueue.getBroadcasts(overhead, limit);
    let used = out.reduce((n, b) => n + b.length + overhead, 0);
    for (const q of [c.eventQueue, c.queryQueue]) {
      const more = q.getBroadcasts(overhead, limit - used);
      used += more.reduce((n, b) => n + b.length + overhead, 0);
      out.push(...more);
    }
    return out;
  }

  ackPayload(): Buffer {
    // Ping version 1 + a zero Vivaldi coordinate: serf peers decode it for their RTT estimates.
    return Buffer.concat([Buffer.from([1]), encode({ Adjustment: new Float(0), Error: new Float(1.5), Height: new Float(1e-5), Vec: Array.from({ length: 8 }, () => new Float(0)) })]);
  }

  localState(): Buffer {
    const { c } = this;
    const statusLTimes: Record<string, number> = {};
    const leftMembers: string[] = [];
    for (const [name, r] of this.members.records) {
      statusLTimes[name] = r.statusLTime;
      if (r.member.status === 'left') leftMembers.push(name);
    }
    const pp: SerfPushPull = {
      ltime: c.clock.time(),
      statusLTimes,
      leftMembers,
      eventLTime: c.eventClock.time(),
      events: this.events.buffer,
      queryLTime: c.queryClock.time(),
    };
    return encodePushPull(pp);
  }

  mergeRemoteState(buf: Buffer, join: boolean): void {
    const { c } = this;
    const msg = this.decode(buf, (err) => c.log?.warn(`serf: Failed to decode remote state: ${errorMessage(err)}`));
    if (!msg) return;
    if (msg.type !== SerfMsg.PushPull) return void c.drop('malformed');
    const pp = msg.body;
    if (pp.ltime > 0) c.clock.witness(pp.ltime - 1);
    if (pp.eventLTime > 0) c.eventClock.witness(pp.eventLTime - 1);
    if (pp.queryLTime > 0) c.queryClock.witness(pp.queryLTime - 1);
    const left = new Set(pp.leftMembers);
    for (const [name, ltime] of Object.entries(pp.statusLTimes)) {
      if (nodeNameProblem(name)) {
        c.drop('invalid node name');
        continue;
      }
      // As serf: a left member's leave at the time the remote holds, so two members merging each other's state
      // agree on it instead of raising it by one on every push/pull.
      if (left.has(name)) this.members.handleLeaveIntent({ ltime, node: name, prune: false }, false);
      else this.members.handleJoinIntent({ ltime, node: name }, false);
    }
    // On a join, events older than the remote's clock are history: skip them unless replaying.
    if (join && c.eventJoinIgnore) this.events.minTime = Math.max(this.events.minTime, pp.eventLTime);
    const replay = join && c.replaying;
    for (const entry of pp.events) {
      if (!entry) continue;
      for (const e of entry.events) this.events.handle({ ltime: entry.ltime, name: e.name, payload: e.payload, cc: false }, false, replay);
    }
  }

  notifyMsg(buf: Buffer): void {
    const { c } = this;
    const msg = this.decode(buf, (err) => {
      if (!(err instanceof DecodeError)) c.log?.warn({ err }, 'serf: error decoding a message');
    });
    if (!msg) return;
    // Intents would be kept (recent intents) under any name a peer makes up: hold them to serf's limits.
    const named = msg.type === SerfMsg.Join || msg.type === SerfMsg.Leave ? msg.body.node : msg.type === SerfMsg.QueryResponse ? msg.body.from : undefined;
    if (named !== undefined && nodeNameProblem(named)) return c.drop('invalid node name');
    switch (msg.type) {
      case SerfMsg.Join:
        return void this.members.handleJoinIntent(msg.body, true);
      case SerfMsg.Leave:
        return void this.members.handleLeaveIntent(msg.body, true);
      case SerfMsg.UserEvent:
        return void this.events.handle(msg.body, true, false);
      case SerfMsg.Query:
        return this.queries.handle(msg.body, buf);
      case SerfMsg.QueryResponse:
        return this.queries.onResponse(msg.body.id, msg.body.from, msg.body.payload, (msg.body.flags & QUERY_FLAG_ACK) !== 0);
      case SerfMsg.Relay:
        // Forward the inner message to its destination, as serf's relay does.
        return this.queries.sendToAddress(msg.body.destAddr, msg.body.destPort, msg.body.inner);
      default:
        return;
    }
  }

  /** A serf message, or undefined when it does not decode (dropped and counted as malformed, then `onError`). */
  private decode(buf: Buffer, onError: (err: unknown) => void): SerfMessage | undefined {
    try {
      return decodeSerf(buf);
    } catch (err) {
      this.c.drop('malformed');
      onError(err);
      return undefined;
    }
  }
}
