// The seam between a membership source (the gossip agent; later a Consul catalog) and the controller.

export type MemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

export interface Member {
  name: string;
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: MemberStatus;
  /**
   * An admin state the source itself asks for (Consul's maintenance mode, a check in warning): the member stays in
   * its pools but gets no new sessions. A user pause to maint still wins.
   */
  admin?: 'drain';
  /** why, in the source's words (shown by `lbagent servers`) */
  adminReason?: string;
}

export type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap';

export type MemberSourceEvent =
  | { type: MemberEventType; members: Member[] }
  | {
      type: 'user';
      name: string;
      payload: Buffer;
      /** serf Lamport time of the event: the later of two events about one node wins. */
      ltime: number;
      /** True for events learned from a peer's event buffer at join (they happened before we were here). */
      replayed: boolean;
    };

export interface MemberSource {
  /** Every member currently known, including left and failed ones not yet reaped. */
  members(): Member[];
  /** The local node's name (a balancer never adds itself). */
  localName(): string;
  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe(listener: (event: MemberSourceEvent) => void): () => void;
}
