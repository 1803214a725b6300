// Join-or-create over the room directory: a seat in the oldest open room, or a room made here or on the least-loaded process, or a redirect.
import { RefuseReason } from '../errors.js';
import { hex } from '../hex.js';
import { Limits, MessageType, type Redirect } from '../protocol/index.js';
import type { CreateAsk, RoomDirectory, RoomListing } from '../rooms/RoomDirectory.js';
import type { Room } from './Room.js';
import type { ResolvedRoomsOptions } from './roomOptions.js';
import type { ServerRooms } from './ServerRooms.js';

/** How long a seat held for a redirected join waits for it at the room's process. */
export const HOLD_MS = 10_000;
/** How long a join-or-create waits for another process to make a room before making it here. */
export const ASK_CREATE_MS = 2_000;

/**
 * Where a join goes: a room of this process (a seat counted for it, or not), another
 * process (a redirect), or a refusal.
 */
export type Route =
  | { readonly room: Room; readonly reserved: boolean }
  | { readonly redirect: Redirect }
  | { readonly refuse: RefuseReason };

/** What matchmaking needs from its server. */
export interface MatchmakerHost {
  readonly rooms: ServerRooms;
  readonly directory: RoomDirectory;
  readonly processId: string;
  /** The `rooms` option, if given (join-or-create is refused without it). */
  readonly roomsOptions: ResolvedRoomsOptions | undefined;
  /** Whether the server is closing. */
  readonly closing: () => boolean;
}

/**
 * Join-or-create, the same over one process or many: everything it knows of other rooms and
 * processes comes from the directory. Requests of one mode and size are decided one at a
 * time (the directory's lock), so that players asking at once fill a room before the next
 * is made; the seat is counted when the room is chosen.
 */
export class Matchmaker {
  /** Rooms being made now, in all and by the address they are made for. */
  private makingTotal = 0;
  private readonly making = new Map<string, number>();

  constructor(private readonly host: MatchmakerHost) {}

  /**
   * A seat for `ask` in the oldest open room of its mode and size, anywhere; else in a new
   * room on the least-loaded process (asked over the directory; made here if it does not
   * answer within `ASK_CREATE_MS`). `stillWaiting` says whether the join is still there.
   */
  joinOrCreate(ask: CreateAsk, stillWaiting: () => boolean): Promise<Route> {
    const { host } = this;
    if (!host.roomsOptions) return Promise.resolve({ refuse: RefuseReason.RoomRefused });
    const { mode, size } = ask;
    const gone: Route = { refuse: RefuseReason.ServerClosing };
    return host.directory.withLock(`match:${mode}:${size}`, async (): Promise<Route> => {
      // A join that went away while it waited for the lock takes no seat.
      for (let tries = 0; tries < 3; tries++) {
        if (!stillWaiting()) return gone;
        const listing = await host.directory.reserve(mode, size);
        if (!listing) break;
        const room = this.local(listing);
        if (room && !room.isClosing) return { room, reserved: true };
        if (listing.processId !== host.processId) {
          const sent = await this.redirect(listing, true);
          if (!('refuse' in sent)) return sent;
          continue; // its owner is gone (the seat was given back): the next room
        }
        await host.directory.unreserve(listing.roomId); // it ended here meanwhile
      }
      if (!stillWaiting()) return gone;
      const target = await this.leastLoaded();
      if (target !== host.processId) {
        const made = await host.directory.askCreate(target, ask, ASK_CREATE_MS);
        if (made && (await host.directory.reserveIn(made.roomId))) return this.redirect(made, true);
        // No answer in time (or no room made there): it is made here.
      }
      const room = await this.create(ask);
      if ('refuse' in room) return room;
      if (!(await host.directory.reserveIn(room.id))) return { refuse: RefuseReason.ServerFull };
      return { room, reserved: true };
    });
  }

  /**
   * Makes a room here for a join-or-create, as the `rooms` option's rules allow. Rooms being
   * made count toward `maxRooms` and `maxRoomsPerAddress` from the start (their making waits
   * on `onCreateRoom` and the directory), so concurrent requests cannot pass the bounds.
   */
  async create(ask: CreateAsk): Promise<Room | { readonly refuse: RefuseReason }> {
    const { host } = this;
    const rules = host.roomsOptions;
    if (!rules || host.closing()) return { refuse: RefuseReason.RoomRefused };
    const byAddress = this.making.get(ask.address) ?? 0;
    if (host.rooms.size + this.makingTotal >= rules.maxRooms)
      return { refuse: RefuseReason.RoomRefused };
    if (host.rooms.madeFor(ask.address) + byAddress >= rules.maxRoomsPerAddress)
      return { refuse: RefuseReason.RoomRefused };
    this.makingTotal++;
    this.making.set(ask.address, byAddress + 1);
    try {
      const asked = rules.onCreateRoom ? await rules.onCreateRoom(ask) : {};
      if (asked === false) return { refuse: RefuseReason.RoomRefused };
      return await host.rooms.create(
        {
          emptyTimeoutMs: rules.emptyTimeoutMs,
          ...asked,
          id: undefined,
          mode: ask.mode,
          maxPlayers: ask.size,
        },
        ask.address,
      );
    } finally {
      this.makingTotal--;
      const left = (this.making.get(ask.address) ?? 1) - 1;
      if (left > 0) this.making.set(ask.address, left);
      else this.making.delete(ask.address);
    }
  }

  /** Another process asks this one to make a room: its listing, or undefined if refused. */
  async createFor(ask: CreateAsk): Promise<RoomListing | undefined> {
    const room = await this.create(ask);
    if ('refuse' in room) return undefined;
    return this.host.directory.get(room.id);
  }

  /**
   * Sends the join to the process that holds `listing`'s room; with `held`, the seat counted
   * for it is held there for `HOLD_MS` under a new reservation.
   */
  async redirect(listing: RoomListing, held: boolean): Promise<Route> {
    const { directory } = this.host;
    const owner = (await directory.processes()).find((p) => p.processId === listing.processId);
    if (!owner) {
      if (held) await directory.unreserve(listing.roomId);
      return { refuse: RefuseReason.RoomNotFound };
    }
    const redirect: Redirect = {
      type: MessageType.Redirect,
      host: owner.address.host,
      port: owner.address.port,
      ...(owner.address.webPort === undefined ? {} : { webPort: owner.address.webPort }),
      roomId: listing.roomId,
    };
    if (!held) return { redirect };
    const reservation = new Uint8Array(Limits.reconnectTokenBytes);
    crypto.getRandomValues(reservation);
    try {
      await directory.hold(listing.roomId, hex(reservation), HOLD_MS);
    } catch (err) {
      // Not held: the seat counted for it must not stay taken.
      await directory.unreserve(listing.roomId).catch(() => undefined);
      throw err;
    }
    return { redirect: { ...redirect, reservation } };
  }

  /** The room of `listing` if this process holds it. */
  local(listing: RoomListing): Room | undefined {
    if (listing.processId !== this.host.processId) return undefined;
    return this.host.rooms.get(listing.roomId);
  }

  /** The live process with the fewest players (this one on a tie), to make a room on. */
  private async leastLoaded(): Promise<string> {
    const { host } = this;
    let best = host.processId;
    let least = host.rooms.load;
    for (const p of await host.directory.processes())
      if (p.processId !== host.processId && p.load < least) [best, least] = [p.processId, p.load];
    return best;
  }
}
