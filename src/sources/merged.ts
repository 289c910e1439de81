// Several member sources as one: the controller keeps a single MemberSource seam, and a balancer may take its
// members from gossip and from Consul or DNS at once. The first source is the primary: its node is the local one
// (a balancer never adds itself) and user events (pause/resume) come from every source that has them.
import type { Member, MemberSource, MemberSourceEvent } from '../interfaces/index.js';

export class MergedMemberSource implements MemberSource {
  constructor(private readonly sources: readonly [MemberSource, ...MemberSource[]]) {}

  members(): Member[] {
    return this.sources.flatMap((s) => s.members());
  }

  localName(): string {
    return this.sources[0].localName();
  }

  subscribe(listener: (event: MemberSourceEvent) => void): () => void {
    const offs = this.sources.map((s) => s.subscribe(listener));
    return () => {
      for (const off of offs) off();
    };
  }
}

/** One source as is; several merged. */
export function mergeSources(first: MemberSource, more: readonly MemberSource[]): MemberSource {
  return more.length === 0 ? first : new MergedMemberSource([first, ...more]);
}
