// Where a session goes before it has a room: a join, watch or reconnect routed to its room, join-or-create, and the room list.
import { RefuseReason } from '../errors.js';
import type { Warn } from '../link/serviceDatagrams.js';
import {
  Limits,
  MessageType,
  encodeMessage,
  type ClientTcpMessage,
  type RoomAsk,
  type RoomSummary,
} from '../protocol/index.js';
import type { RoomDirectory } from '../rooms/RoomDirectory.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import type { Room } from './Room.js';
import { hex } from '../hex.js';
import type { Matchmaker, Route } from './Matchmaker.js';
import type { ServerRooms } from './ServerRooms.js';

/** What the lobby needs from its server. */
export interface LobbyHost {
  readonly rooms: ServerRooms;
  readonly directory: RoomDirectory;
  readonly processId: string;
  /** The default room (a server with no `rooms` option), if any. */
  readonly defaultRoom: () => Room | undefined;
  /** Whether the server is closing. */
  readonly closing: () => boolean;
  readonly warn: Warn;
  /** Refuses and releases a session of no room. */
  readonly refuse: (session: PeerSession, reason: RefuseReason) => void;
  /** Releases a session of no room (its connection closed after what is queued). */
  readonly release: (session: PeerSession) => void;
  /** The session is now `room`'s. */
  readonly enter: (session: PeerSession, room: Room) => void;
}

/**
 * The sessions that have no room yet. Their first message says where they go: Join and
 * Watch to the room they ask for (the default room if none), by id or by join-or-create
 * (`Matchmaker`), or to the process that holds it (a Redirect);
 * Reconnect to its seat's room; ListRooms is answered and the connection closed (one list
 * per connection: a peer cannot make the server list rooms faster than it connects).
 */
export class RoomLobby {
  /** Sessions whose route is being found (the directory may answer later). */
  private readonly routing = new WeakSet<PeerSession>();

  constructor(
    private readonly host: LobbyHost,
    private readonly matchmaker: Matchmaker,
  ) {}

  /** A decoded message from a session of no room. */
  onMessage(session: PeerSession, msg: ClientTcpMessage): void {
    const { host } = this;
    const unexpected = (message: string): void =>
      host.warn('unexpected-message', message, { address: session.address });
    if (this.routing.has(session) || session.state !== SessionState.Joining)
      return unexpected('a message before the join request was answered');
    switch (msg.type) {
      case MessageType.Join:
      case MessageType.Watch:
        return this.route(session, msg, this.find(session, msg, msg.type === MessageType.Join));
      case MessageType.Reconnect: {
        const room = msg.roomId === undefined ? host.defaultRoom() : host.rooms.get(msg.roomId);
        if (!room) return host.refuse(session, RefuseReason.BadToken);
        host.enter(session, room);
        return room.admit(session, msg, false);
      }
      case MessageType.ListRooms:
        return this.list(session, msg.mode);
      case MessageType.Ready:
        return unexpected('ready before the join was accepted');
      case MessageType.SnapshotOffer:
        return unexpected('a snapshot before the join was accepted');
      case MessageType.Chat:
        return unexpected('chat before the join was accepted');
      case MessageType.Snapshot:
        return unexpected('a snapshot nobody asked for');
      case MessageType.SignalToServer:
        return unexpected('a transport signal before the join was accepted');
      case MessageType.Leave:
        return host.release(session);
    }
  }

  /** Hands the session to the room found, once it is found. */
  private route(session: PeerSession, msg: ClientTcpMessage, found: Promise<Route>): void {
    const { host } = this;
    this.routing.add(session);
    found
      .catch((err: unknown): Route => {
        host.warn(
          'directory-error',
          `finding a room failed: ${err instanceof Error ? err.message : String(err)}`,
          { address: session.address },
        );
        return { refuse: RefuseReason.TryLater };
      })
      .then((route) => {
        this.routing.delete(session);
        const gone = session.state !== SessionState.Joining || host.closing();
        if ('refuse' in route) {
          if (!gone) host.refuse(session, route.refuse);
          return;
        }
        if ('redirect' in route) {
          const { reservation, roomId } = route.redirect;
          if (gone) {
            // Nobody to send: the seat held for it is given back now, not in HOLD_MS.
            if (reservation) void this.giveBack(roomId, reservation);
            return;
          }
          session.send(route.redirect);
          return host.release(session);
        }
        if (gone || route.room.isClosing) {
          if (route.reserved) void host.directory.unreserve(route.room.id).catch(() => undefined);
          if (!gone) host.refuse(session, RefuseReason.RoomNotFound);
          return;
        }
        host.enter(session, route.room);
        route.room.admit(session, msg, route.reserved);
      })
      .catch((err: unknown) =>
        host.warn('join-failed', `join failed: ${String(err)}`, { address: session.address }),
      );
  }

  /** The room a join (`player`) or watch asks for; join-or-create counts a seat at once. */
  private async find(
    session: PeerSession,
    msg: {
      readonly username: string;
      readonly room?: RoomAsk;
      readonly reservation?: Uint8Array;
    },
    player: boolean,
  ): Promise<Route> {
    const { host } = this;
    const ask = msg.room;
    if (ask !== undefined && 'mode' in ask) {
      if (!player) return this.watchable(ask.mode, ask.size);
      return this.matchmaker.joinOrCreate(
        { mode: ask.mode, size: ask.size, username: msg.username, address: session.address },
        () => session.state === SessionState.Joining,
      );
    }
    const room = ask === undefined ? host.defaultRoom() : host.rooms.get(ask.roomId);
    if (!room) {
      // Held by another process? Then the join goes there.
      const listing = ask === undefined ? undefined : await host.directory.get(ask.roomId);
      if (!listing || listing.processId === host.processId)
        return { refuse: RefuseReason.RoomNotFound };
      return this.matchmaker.redirect(listing, false);
    }
    // A redirect's seat held here is the join's; otherwise one is counted once it is
    // authenticated (see handleJoin).
    const reserved =
      player && msg.reservation !== undefined
        ? await host.directory.claim(room.id, hex(msg.reservation))
        : false;
    return { room, reserved };
  }

  /** Takes back a seat held for a redirect nobody will follow. */
  private async giveBack(roomId: string, reservation: Uint8Array): Promise<void> {
    const { directory } = this.host;
    try {
      if (await directory.claim(roomId, hex(reservation))) await directory.unreserve(roomId);
    } catch {
      // It expires by itself.
    }
  }

  /** A spectator asking for a mode watches its oldest room of that mode and size. */
  private async watchable(mode: string, size: number): Promise<Route> {
    const [listing] = await this.host.directory.list({ mode, size }, 1);
    if (!listing) return { refuse: RefuseReason.RoomNotFound };
    const room = this.matchmaker.local(listing);
    return room ? { room, reserved: false } : this.matchmaker.redirect(listing, false);
  }

  /** Answers a room list, then closes the connection. */
  private list(session: PeerSession, mode: string | undefined): void {
    const { host } = this;
    this.routing.add(session);
    host.directory
      .list({ ...(mode === undefined ? {} : { mode }), available: true }, Limits.maxListedRooms)
      .then((listings) => {
        const rooms: RoomSummary[] = listings.map((l) => ({
          roomId: l.roomId,
          mode: l.mode,
          players: Math.min(l.players, l.maxPlayers),
          maxPlayers: l.maxPlayers,
          metadata: l.metadata,
        }));
        if (session.state === SessionState.Joining) session.sendBytes(roomListBytes(rooms));
      })
      .catch((err: unknown) =>
        host.warn('directory-error', `listing rooms failed: ${String(err)}`, {
          address: session.address,
        }),
      )
      .finally(() => {
        this.routing.delete(session);
        host.release(session);
      });
  }
}

/**
 * A RoomList of the first of `rooms` that fit one message (`Limits.tcpMessageBytes`): rooms
 * with long metadata make a shorter list, never a message the client cannot take.
 */
export function roomListBytes(rooms: readonly RoomSummary[]): Uint8Array {
  const encode = (n: number): Uint8Array =>
    encodeMessage({ type: MessageType.RoomList, rooms: rooms.slice(0, n) });
  let bytes = encode(rooms.length);
  if (bytes.length <= Limits.tcpMessageBytes) return bytes;
  // The longest prefix that fits, by bisection (a list is at most 100 rooms).
  let [fits, over] = [0, rooms.length];
  bytes = encode(0);
  while (over - fits > 1) {
    const mid = (fits + over) >> 1;
    const b = encode(mid);
    if (b.length <= Limits.tcpMessageBytes) [fits, bytes] = [mid, b];
    else over = mid;
  }
  return bytes;
}
