// The controller's MemberSource on a serf node (src/gossip/serf/api.ts). User events are passed on with their
// LTime and replay flag, so pauses sent before this balancer started (learned with join -replay) count too.
import type { Member, MemberSource, MemberSourceEvent } from '../interfaces/index.js';
import type { Serf, SerfEvent, SerfMember } from '../gossip/index.js';

function toMember(m: SerfMember): Member {
  return { name: m.name, addr: m.addr, port: m.port, tags: { ...m.tags }, status: m.status };
}

/** A serf event as the controller sees it; queries are not its business. */
export function toSourceEvent(e: SerfEvent): MemberSourceEvent | undefined {
  if (e.type === 'query') return undefined;
  if (e.type === 'user') return { type: 'user', name: e.name, payload: e.payload, ltime: e.ltime, replayed: e.replayed };
  return { type: e.type, members: e.members.map(toMember) };
}

export class GossipMemberSource implements MemberSource {
  constructor(private readonly serf: Serf) {}

  members(): Member[] {
    return this.serf.members().map(toMember);
  }

  localName(): string {
    return this.serf.localMember().name;
  }

  subscribe(listener: (event: MemberSourceEvent) => void): () => void {
    return this.serf.subscribe((e) => {
      const ev = toSourceEvent(e);
      if (ev) listener(ev);
    });
  }
}
