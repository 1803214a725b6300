// The in-process room directory: one process, its rooms in a Map, locks as promise chains.
import type {
  CreateAsk,
  ProcessListing,
  RoomChange,
  RoomDirectory,
  RoomListing,
  RoomQuery,
} from './RoomDirectory.js';

/**
 * A room directory held in this process: what a single server process uses by default.
 * Every answer comes at once (as a resolved promise).
 */
export function localDirectory(): RoomDirectory {
  return new LocalDirectory();
}

class LocalDirectory implements RoomDirectory {
  private readonly rooms = new Map<string, RoomListing>();
  private readonly procs = new Map<string, ProcessListing>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Seats held for redirected joins, by room and token: their expiry timers. */
  private readonly holds = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly makers = new Map<string, (ask: CreateAsk) => Promise<RoomListing | undefined>>();
  private order = 0;

  put(listing: RoomListing): Promise<void> {
    // A listing put again has its `players` given whole: the holds of the old one end.
    for (const [key, timer] of this.holds)
      if (key.startsWith(`${listing.roomId}\n`)) {
        clearTimeout(timer);
        this.holds.delete(key);
      }
    this.rooms.set(listing.roomId, listing);
    return Promise.resolve();
  }

  update(roomId: string, change: RoomChange): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) this.rooms.set(roomId, { ...room, ...change });
    return Promise.resolve();
  }

  remove(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    return Promise.resolve();
  }

  get(roomId: string): Promise<RoomListing | undefined> {
    return Promise.resolve(this.rooms.get(roomId));
  }

  list(query: RoomQuery, limit: number): Promise<RoomListing[]> {
    const found: RoomListing[] = [];
    for (const room of this.sorted()) {
      if (found.length >= limit) break;
      if (matches(room, query)) found.push(room);
    }
    return Promise.resolve(found);
  }

  reserve(mode: string, size: number): Promise<RoomListing | undefined> {
    for (const room of this.sorted()) {
      if (!matches(room, { mode, size, available: true })) continue;
      const taken = { ...room, players: room.players + 1 };
      this.rooms.set(room.roomId, taken);
      return Promise.resolve(taken);
    }
    return Promise.resolve(undefined);
  }

  reserveIn(roomId: string): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room || !matches(room, { available: true })) return Promise.resolve(false);
    this.rooms.set(roomId, { ...room, players: room.players + 1 });
    return Promise.resolve(true);
  }

  unreserve(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room && room.players > 0) this.rooms.set(roomId, { ...room, players: room.players - 1 });
    return Promise.resolve();
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }

  hold(roomId: string, token: string, ttlMs: number): Promise<void> {
    const key = `${roomId}\n${token}`;
    const timer = setTimeout(() => {
      if (this.holds.delete(key)) void this.unreserve(roomId);
    }, ttlMs);
    // A hold must not keep the process alive by itself.
    (timer as { unref?: () => void }).unref?.();
    this.holds.set(key, timer);
    return Promise.resolve();
  }

  claim(roomId: string, token: string): Promise<boolean> {
    const key = `${roomId}\n${token}`;
    const timer = this.holds.get(key);
    if (timer === undefined) return Promise.resolve(false);
    clearTimeout(timer);
    this.holds.delete(key);
    return Promise.resolve(true);
  }

  askCreate(
    processId: string,
    ask: CreateAsk,
    timeoutMs: number,
  ): Promise<RoomListing | undefined> {
    const make = this.makers.get(processId);
    if (!make) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      make(ask).then(
        (listing) => {
          clearTimeout(timer);
          resolve(listing);
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });
  }

  serveCreate(
    processId: string,
    make: (ask: CreateAsk) => Promise<RoomListing | undefined>,
  ): () => void {
    this.makers.set(processId, make);
    return () => {
      if (this.makers.get(processId) === make) this.makers.delete(processId);
    };
  }

  nextOrder(): Promise<number> {
    return Promise.resolve(++this.order);
  }

  putProcess(process: ProcessListing): Promise<void> {
    this.procs.set(process.processId, process);
    return Promise.resolve();
  }

  removeProcess(processId: string): Promise<void> {
    this.procs.delete(processId);
    for (const [id, room] of this.rooms) if (room.processId === processId) this.rooms.delete(id);
    return Promise.resolve();
  }

  processes(): Promise<ProcessListing[]> {
    return Promise.resolve([...this.procs.values()]);
  }

  close(): Promise<void> {
    this.rooms.clear();
    this.procs.clear();
    for (const timer of this.holds.values()) clearTimeout(timer);
    this.holds.clear();
    this.makers.clear();
    return Promise.resolve();
  }

  /** The rooms in `order` (a Map keeps insertion order, but `put` may replace one). */
  private sorted(): RoomListing[] {
    return [...this.rooms.values()].sort((a, b) => a.order - b.order);
  }
}

/** Whether `room` is one `query` asks for. */
export function matches(room: RoomListing, query: RoomQuery): boolean {
  if (query.mode !== undefined && room.mode !== query.mode) return false;
  if (query.size !== undefined && room.maxPlayers !== query.size) return false;
  if (query.available && (!room.open || room.players >= room.maxPlayers)) return false;
  return true;
}
