// Where a session goes before it has a room: a join, watch or reconnect routed to its room, join-or-create, and the room list.
import { RefuseReason } from '../errors.js';
import type { Warn } from '../link/serviceDatagrams.js';
import {
  Limits,
  MessageType,
  type ClientTcpMessage,
  type RoomAsk,
  type RoomSummary,
} from '../protocol/index.js';
import type { RoomDirectory, RoomListing } from '../rooms/RoomDirectory.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import type { Room } from './Room.js';
import type { ResolvedRoomsOptions } from './roomOptions.js';
import type { ServerRooms } from './ServerRooms.js';

/** What the lobby needs from its server. */
export interface LobbyHost {
  readonly rooms: ServerRooms;
  readonly directory: RoomDirectory;
  readonly processId: string;
  /** The default room (a server with no `rooms` option), if any. */
  readonly defaultRoom: () => Room | undefined;
  /** The `rooms` option, if given (join-or-create is refused without it). */
  readonly roomsOptions: ResolvedRoomsOptions | undefined;
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

/** Where a join goes: a room of this process (a seat counted for it, or not), or a refusal. */
type Route =
  { readonly room: Room; readonly reserved: boolean } | { readonly refuse: RefuseReason };

/**
 * The sessions that have no room yet. Their first message says where they go: Join and
 * Watch to the room they ask for (the default room if none), by id or by join-or-create;
 * Reconnect to its seat's room; ListRooms is answered and the connection closed (one list
 * per connection: a peer cannot make the server list rooms faster than it connects).
 */
export class RoomLobby {
  /** Sessions whose route is being found (the directory may answer later). */
  private readonly routing = new WeakSet<PeerSession>();

  constructor(private readonly host: LobbyHost) {}

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
    msg: { readonly username: string; readonly room?: RoomAsk },
    player: boolean,
  ): Promise<Route> {
    const { host } = this;
    const ask = msg.room;
    if (ask !== undefined && 'mode' in ask) {
      if (!player) return this.watchable(ask.mode, ask.size);
      return this.joinOrCreate(session, msg.username, ask.mode, ask.size);
    }
    // A seat is counted for it once it is authenticated (see handleJoin).
    const room = ask === undefined ? host.defaultRoom() : host.rooms.get(ask.roomId);
    return room ? { room, reserved: false } : { refuse: RefuseReason.RoomNotFound };
  }

  /** A spectator asking for a mode watches its oldest room of that mode and size. */
  private async watchable(mode: string, size: number): Promise<Route> {
    const [listing] = await this.host.directory.list({ mode, size }, 1);
    const room = listing && this.local(listing);
    return room ? { room, reserved: false } : { refuse: RefuseReason.RoomNotFound };
  }

  /**
   * Join-or-create: a seat in the oldest open room of `mode` with `size` slots, or in a new
   * one. Under the directory's lock for that mode and size, so that players asking at once
   * fill one room before the next is made.
   */
  private joinOrCreate(
    session: PeerSession,
    username: string,
    mode: string,
    size: number,
  ): Promise<Route> {
    const { host } = this;
    const rules = host.roomsOptions;
    if (!rules) return Promise.resolve({ refuse: RefuseReason.RoomRefused });
    return host.directory.withLock(`match:${mode}:${size}`, async (): Promise<Route> => {
      for (let tries = 0; tries < 3; tries++) {
        const listing = await host.directory.reserve(mode, size);
        if (!listing) break;
        const room = this.local(listing);
        if (room && !room.isClosing) return { room, reserved: true };
        // Listed but not here: held by another process (the cluster's redirect), or ended.
        await host.directory.unreserve(listing.roomId);
        if (listing.processId !== host.processId) return { refuse: RefuseReason.RoomNotFound };
      }
      if (session.state !== SessionState.Joining) return { refuse: RefuseReason.ServerClosing };
      if (host.rooms.size >= rules.maxRooms) return { refuse: RefuseReason.RoomRefused };
      if (host.rooms.madeFor(session.address) >= rules.maxRoomsPerAddress)
        return { refuse: RefuseReason.RoomRefused };
      const asked = rules.onCreateRoom
        ? await rules.onCreateRoom({ mode, size, username, address: session.address })
        : {};
      if (asked === false) return { refuse: RefuseReason.RoomRefused };
      const room = await host.rooms.create(
        {
          emptyTimeoutMs: rules.emptyTimeoutMs,
          ...asked,
          id: undefined,
          mode,
          maxPlayers: size,
        },
        session.address,
      );
      if (!(await host.directory.reserveIn(room.id))) return { refuse: RefuseReason.ServerFull };
      return { room, reserved: true };
    });
  }

  /** The room of `listing` if this process holds it. */
  private local(listing: RoomListing): Room | undefined {
    if (listing.processId !== this.host.processId) return undefined;
    return this.host.rooms.get(listing.roomId);
  }

  /** Answers a room list, then closes the connection. */
  private list(session: PeerSession, mode: string | undefined): void {
    const { host } = this;
    this.routing.add(session);
    host.directory
      .list({ ...(mode === undefined ? {} : { mode }), available: true }, Limits.maxListedRooms)
      .then(
        (listings) => {
          const rooms: RoomSummary[] = listings.map((l) => ({
            roomId: l.roomId,
            mode: l.mode,
            players: Math.min(l.players, l.maxPlayers),
            maxPlayers: l.maxPlayers,
            metadata: l.metadata,
          }));
          if (session.state === SessionState.Joining)
            session.send({ type: MessageType.RoomList, rooms });
        },
        (err: unknown) =>
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
