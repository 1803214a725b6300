// The room directory: which rooms exist, their seats, mode and metadata, and which process holds them.

/**
 * Application data shown with a room in `listRooms` (a map name, a skill band, ...): at most
 * 16 entries, names of at most 32 characters, strings of at most 128.
 */
export type RoomMetadata = Readonly<Record<string, string | number | boolean>>;

/** A room as the directory lists it. */
export interface RoomListing {
  /** The room's id, unique in the directory. */
  readonly roomId: string;
  /** The id of the server process that holds the room. */
  readonly processId: string;
  /** The room's mode (join-or-create puts players in rooms of the mode they ask for). */
  readonly mode: string;
  /** Its player slots. */
  readonly maxPlayers: number;
  /** Seats taken: players in it, and seats reserved for joins under way. */
  readonly players: number;
  /** Whether players may still be put in it (false once its app locks it or it is closing). */
  readonly open: boolean;
  /** The application's data about it. */
  readonly metadata: RoomMetadata;
  /** Its place in the order rooms were listed: join-or-create fills older rooms first. */
  readonly order: number;
}

/** Which rooms `list` returns. */
export interface RoomQuery {
  /** Only rooms of this mode. */
  readonly mode?: string;
  /** Only rooms with this many slots. */
  readonly size?: number;
  /** Only open rooms with a free seat. */
  readonly available?: boolean;
}

/** A server process as the directory knows it. */
export interface ProcessListing {
  /** Its id, unique in the directory. */
  readonly processId: string;
  /** Where players reach it: host, and its reliable-channel port (and web port, if any). */
  readonly address: ProcessAddress;
  /** Its load: the seats taken in its rooms, and one per room (join-or-create makes rooms on the least loaded). */
  readonly load: number;
}

/** Where a server process is reached from outside. */
export interface ProcessAddress {
  /** Its public host name or address. */
  readonly host: string;
  /** Its reliable-channel (TCP) port. */
  readonly port: number;
  /** Its web (WebSocket) port, if it has one. */
  readonly webPort?: number;
}

/**
 * Where rooms are found: the in-process directory by default (`localDirectory`), or one
 * shared by several processes (the cluster's). Every method may be asynchronous. The
 * matchmaking logic sees only this interface.
 *
 * Seats: `reserve` and `reserveIn` take one atomically (never more than `maxPlayers` of a
 * room taken); `unreserve` gives one back (a join that failed, a player who left).
 */
export interface RoomDirectory {
  /** Lists a new room (its `players` as given), or replaces the listing of a room with its id (ending its holds). */
  put(listing: RoomListing): Promise<void>;
  /** Changes what changes while a room lives. Does nothing for a room not listed. */
  update(roomId: string, change: RoomChange): Promise<void>;
  /** Takes a room off the list (does nothing for one not listed). */
  remove(roomId: string): Promise<void>;
  /** The listing of one room. */
  get(roomId: string): Promise<RoomListing | undefined>;
  /** The rooms that match `query`, in `order`, at most `limit` of them. */
  list(query: RoomQuery, limit: number): Promise<RoomListing[]>;
  /**
   * Takes one seat in the oldest open room of `mode` with `size` slots that has one free.
   * @returns the room's listing after the seat was taken, or undefined when none has one.
   */
  reserve(mode: string, size: number): Promise<RoomListing | undefined>;
  /** Takes one seat in that room if it is open and has one free. */
  reserveIn(roomId: string): Promise<boolean>;
  /** Gives back one seat of that room. */
  unreserve(roomId: string): Promise<void>;
  /**
   * Runs `fn` while no other holder of the lock `key` runs (in this process or, for a shared
   * directory, any process): join-or-create takes it so that concurrent requests fill one room
   * instead of each making its own.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** A number for a new room's `order`, larger than any given before. */
  nextOrder(): Promise<number>;
  /**
   * Marks one seat of `roomId` already counted (by `reserve` or `reserveIn`) as held for a
   * player sent to the room's process (a redirect): it stays counted until `claim`ed there,
   * and is given back by itself after `ttlMs` if it is not.
   */
  hold(roomId: string, token: string, ttlMs: number): Promise<void>;
  /** Takes the hold `token` of `roomId`: true when it was there and not expired (the seat stays counted). */
  claim(roomId: string, token: string): Promise<boolean>;
  /**
   * Asks process `processId` to make a room for a join-or-create.
   * @returns its listing (no seat counted yet), or undefined when the process did not answer
   * within `timeoutMs` or would not make one.
   */
  askCreate(processId: string, ask: CreateAsk, timeoutMs: number): Promise<RoomListing | undefined>;
  /**
   * Answers the create requests sent to `processId` with `make` (until the returned function
   * is called).
   */
  serveCreate(
    processId: string,
    make: (ask: CreateAsk) => Promise<RoomListing | undefined>,
  ): () => void;
  /** Registers (or refreshes) this process: its address and load. */
  putProcess(process: ProcessListing): Promise<void>;
  /** Takes a process off the list with its rooms (it is closing). */
  removeProcess(processId: string): Promise<void>;
  /** The live processes. */
  processes(): Promise<ProcessListing[]>;
  /** Lets go of what the directory holds (connections, timers); the in-process one forgets all. */
  close(): Promise<void>;
}

/** A join-or-create's request to make a room, as one process asks another. */
export interface CreateAsk {
  /** The mode asked for. */
  readonly mode: string;
  /** The slots asked for. */
  readonly size: number;
  /** Who asks. */
  readonly username: string;
  /** Where from, as the transport names it. */
  readonly address: string;
}

/** What changes in a room's listing while it lives. */
export interface RoomChange {
  /** Whether players may still be put in it. */
  readonly open?: boolean;
  /** The application's data about it. */
  readonly metadata?: RoomMetadata;
}
