// The rooms of one server process: made, listed in the directory, found by id, ended when empty or closed.
import { Subject, type Observable } from 'rxjs';
import type { Warn } from '../link/serviceDatagrams.js';
import type { RoomDirectory, RoomListing } from '../rooms/RoomDirectory.js';
import type { ServerOptions } from './options.js';
import type { PeerSession } from './PeerSession.js';
import { LATE_MS, Room, type RoomEndReason, type RoomHost } from './Room.js';
import { resolveRoomOptions, type RoomOptions } from './roomOptions.js';
import { SharedTicks } from './SharedTicks.js';
import type { TimeoutBackoff } from './TimeoutBackoff.js';

/** A room made or ended (`server.rooms$`). */
export type RoomEvent =
  | {
      /** A room was made (by `createRoom`, or by join-or-create). */
      readonly type: 'create';
      /** The room. */
      readonly room: Room;
    }
  | {
      /** A room ended and released everything. */
      readonly type: 'dispose';
      /** The room (its streams have completed). */
      readonly room: Room;
      /** Why it ended. */
      readonly reason: RoomEndReason;
    };

/** What the rooms need from their server. */
export interface ServerRoomsHost {
  /** The server's options: every room's defaults. */
  readonly options: ServerOptions;
  /** Where the rooms are listed. */
  readonly directory: RoomDirectory;
  /** This process's id in the directory. */
  readonly processId: string;
  /** Every session of the server. */
  readonly allSessions: Set<PeerSession>;
  /** Repeated timeouts, over every room. */
  readonly backoff: TimeoutBackoff;
  /** Whether the server is closing. */
  readonly closing: () => boolean;
  /** Warns on the server's `events$`. */
  readonly warn: Warn;
}

/** A room of this process and what the server keeps about it. */
interface Held {
  readonly room: Room;
  readonly emptyTimeoutMs: number;
  /** The address join-or-create made it for, if it did. */
  readonly creator: string | undefined;
  /** Its place in the directory's order. */
  readonly order: number;
  emptyTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Every room of the process, by id: each listed in the directory while it lives, its seats
 * counted there, and ended once empty for its `emptyTimeoutMs`. One tick timer per tick rate
 * serves them all.
 */
export class ServerRooms {
  /** Rooms made and ended. */
  readonly events$: Observable<RoomEvent>;
  /** The tick timers every room shares. */
  readonly ticks = new SharedTicks(LATE_MS);
  private readonly subject = new Subject<RoomEvent>();
  private readonly byId = new Map<string, Held>();
  /** Ids of rooms being made (listed in the directory, not in `byId` yet). */
  private readonly creating = new Set<string>();
  private readonly roomHost: RoomHost;

  constructor(private readonly host: ServerRoomsHost) {
    this.events$ = this.subject.asObservable();
    this.roomHost = {
      allSessions: host.allSessions,
      backoff: host.backoff,
      ticks: this.ticks,
      serverClosing: host.closing,
      onOccupancy: (room) => this.onOccupancy(room),
      reserve: (room) => host.directory.reserveIn(room.id),
      unreserve: (room) => this.directoryCall(host.directory.unreserve(room.id)),
      onEnded: (room, reason) => this.onEnded(room, reason),
      onEnding: (room) => {
        if (this.byId.get(room.id)?.room === room)
          this.directoryCall(host.directory.remove(room.id));
      },
    };
  }

  /** The room with this id, in this process. */
  get(id: string): Room | undefined {
    return this.byId.get(id)?.room;
  }

  /** Every room of this process. */
  all(): Room[] {
    return [...this.byId.values()].map((h) => h.room);
  }

  /** How many rooms this process holds. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * The process's load: the seats counted in every room, and one for each room (so that rooms
   * made in a burst, still empty, spread over the processes).
   */
  get load(): number {
    let n = 0;
    for (const { room } of this.byId.values()) n += room.countedSeats + 1;
    return n;
  }

  /** Every room's listing now, with its seats counted (to list them again in a directory that lost them). */
  *listings(): Generator<RoomListing> {
    for (const { room, order } of this.byId.values()) {
      if (room.isClosing) continue;
      yield {
        roomId: room.id,
        processId: this.host.processId,
        mode: room.mode,
        maxPlayers: room.maxPlayers,
        players: room.countedSeats,
        open: true,
        metadata: room.metadata,
        order,
      };
    }
  }

  /** Rooms join-or-create made for `address` that live now. */
  madeFor(address: string): number {
    let n = 0;
    for (const h of this.byId.values()) if (h.creator === address) n++;
    return n;
  }

  /**
   * Makes a room, listed in the directory before it is returned (so a join may find it).
   * @throws {RangeError} for an option out of range, or an id already taken.
   */
  async create(options: RoomOptions, creator?: string): Promise<Room> {
    const resolved = resolveRoomOptions(this.host.options, options);
    if (this.host.closing()) throw new Error('the server is closing');
    const id = resolved.id ?? randomRoomId();
    // Taken at once: two creations of one id in this process cannot both pass the check.
    if (this.byId.has(id) || this.creating.has(id))
      throw new RangeError(`a room with id ${id} exists already`);
    this.creating.add(id);
    try {
      return await this.make(id, resolved, creator);
    } finally {
      this.creating.delete(id);
    }
  }

  private async make(
    id: string,
    resolved: ReturnType<typeof resolveRoomOptions>,
    creator: string | undefined,
  ): Promise<Room> {
    if ((await this.host.directory.get(id)) !== undefined)
      throw new RangeError(`a room with id ${id} exists already`);
    const info = { roomId: id, mode: resolved.mode, metadata: resolved.metadata };
    // Listed first: a room the directory does not know could not be joined.
    const order = await this.host.directory.nextOrder();
    await this.host.directory.put({
      ...info,
      processId: this.host.processId,
      maxPlayers: resolved.rules.maxPlayers,
      players: 0,
      open: true,
      order,
    });
    if (this.byId.has(id)) throw new RangeError(`a room with id ${id} exists already`);
    const room = new Room(info, resolved.rules, this.roomHost);
    const held: Held = {
      room,
      emptyTimeoutMs: resolved.emptyTimeoutMs,
      creator,
      order,
      emptyTimer: undefined,
    };
    this.byId.set(id, held);
    this.subject.next({ type: 'create', room });
    this.onOccupancy(room); // empty from the start: its timer runs
    return room;
  }

  /** Ends every room (the server is closing). */
  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((room) => room.end('server-closing', 'server closing')));
    this.ticks.stop();
    this.subject.complete();
  }

  /** Changes a room's metadata in the directory. */
  listMetadata(room: Room): void {
    this.directoryCall(this.host.directory.update(room.id, { metadata: room.metadata }));
  }

  private onOccupancy(room: Room): void {
    const held = this.byId.get(room.id);
    if (!held || held.room !== room || !Number.isFinite(held.emptyTimeoutMs)) return;
    const empty = room.isEmpty && !room.isClosing;
    if (empty && held.emptyTimer === undefined) {
      held.emptyTimer = setTimeout(() => {
        held.emptyTimer = undefined;
        if (room.isEmpty)
          void room.end('empty', `nobody was in the room for ${held.emptyTimeoutMs} ms`);
      }, held.emptyTimeoutMs);
    } else if (!empty && held.emptyTimer !== undefined) {
      clearTimeout(held.emptyTimer);
      held.emptyTimer = undefined;
    }
  }

  private onEnded(room: Room, reason: RoomEndReason): void {
    const held = this.byId.get(room.id);
    if (!held || held.room !== room) return;
    if (held.emptyTimer !== undefined) clearTimeout(held.emptyTimer);
    this.byId.delete(room.id);
    this.directoryCall(this.host.directory.remove(room.id));
    if (!this.subject.closed) this.subject.next({ type: 'dispose', room, reason });
  }

  /** A directory call whose failure is a warning (the match goes on without it). */
  private directoryCall(call: Promise<unknown>): void {
    call.catch((err: unknown) =>
      this.host.warn(
        'directory-error',
        `room directory: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }
}

/** A random room id: `r-` and 12 base-36 characters. */
export function randomRoomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `r-${n.toString(36).padStart(12, '0').slice(-12)}`;
}
