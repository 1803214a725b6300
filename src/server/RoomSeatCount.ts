// The seats the room directory counts for one room: joins holding one, seats held, and which sessions named the room.
import { MessageType, type ClientTcpMessage } from '../protocol/index.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import type { Room, RoomHost } from './Room.js';
import type { Seat } from './Seat.js';

/** What the count works with: its room, the room's host and sessions, and who is seated or watching. */
export interface RoomSeatCountDeps {
  /** The room counted (what the host's `reserve`, `unreserve` and `onOccupancy` are told). */
  readonly room: Room;
  /** The room's server: the directory's count and the occupancy. */
  readonly host: RoomHost;
  /** The sessions of the room (joining it, playing, watching). */
  readonly sessions: ReadonlySet<PeerSession>;
  /** Seats held now (players in the match, and players not ready yet). */
  readonly seated: () => number;
  /** Whether `session` is a spectator whose watch request is under way. */
  readonly watchPending: (session: PeerSession) => boolean;
}

/**
 * The room's side of the room directory's seat count: the joins that hold a seat of the
 * count but no seat yet, the seats counted, and the sessions whose request named the room
 * (their answers carry its id). A seat counted is given back to the directory once its join
 * ends without a seat, or once the seat is removed.
 */
export class RoomSeatCount {
  /** Sessions whose join holds a seat of the directory's count, not seated yet. */
  private readonly reserved = new Set<PeerSession>();
  /** Sessions whose request named a room: their answer carries its id. */
  private readonly named = new WeakSet<PeerSession>();
  /** Seats the directory counts. */
  private readonly counted = new Set<Seat>();

  /** @param deps The room, its host and its sessions. */
  constructor(private readonly deps: RoomSeatCountDeps) {}

  /** Seats the directory counts for this room: seats held and joins with a seat counted. */
  get size(): number {
    return this.counted.size + this.reserved.size;
  }

  /** Whether nobody is in the room: no seat held, no join under way (spectators do not count). */
  get isEmpty(): boolean {
    if (this.reserved.size > 0) return false;
    if (this.deps.seated() > 0) return false;
    for (const s of this.deps.sessions)
      if (s.state === SessionState.Authenticating && !this.deps.watchPending(s)) return false;
    return true;
  }

  /**
   * A join, watch or reconnect request `msg` for this room, from `session` (`reserved`: the
   * directory counts a seat for it already).
   */
  admit(session: PeerSession, msg: ClientTcpMessage, reserved: boolean): void {
    if (reserved) this.reserved.add(session);
    const named =
      msg.type === MessageType.Reconnect
        ? msg.roomId !== undefined
        : 'room' in msg && msg.room !== undefined;
    if (named) this.named.add(session);
  }

  /** The room id `session`'s answers carry: the room's when its request named it. */
  roomIdFor(session: PeerSession): string | undefined {
    return this.named.has(session) ? this.deps.room.id : undefined;
  }

  /** A seat counted in the directory for `session` (join-or-create counted it already). */
  async reserve(session: PeerSession): Promise<boolean> {
    const { room, host, sessions } = this.deps;
    if (this.reserved.has(session)) return true;
    if (!(await host.reserve(room))) return false;
    if (sessions.has(session) && session.state !== SessionState.Gone) {
      this.reserved.add(session);
      return true;
    }
    host.unreserve(room); // it went away meanwhile
    return false;
  }

  /** `session` left the room: a seat counted for its join, if any, is free again. */
  forget(session: PeerSession): void {
    if (this.reserved.delete(session)) {
      // Its join ended without a seat.
      this.deps.host.unreserve(this.deps.room);
      this.deps.host.onOccupancy(this.deps.room);
    }
  }

  /**
   * A seat was made for `session`'s join (`made`: the seat counted for the join is now the
   * seat's, whatever connection carries it later) or removed.
   */
  onSeatChange(seat: Seat, made: boolean, session?: PeerSession): void {
    const { room, host } = this.deps;
    if (made) {
      if (session && this.reserved.delete(session)) this.counted.add(seat);
    } else if (this.counted.has(seat)) {
      this.counted.delete(seat);
      host.unreserve(room);
    }
    host.onOccupancy(room);
  }
}
