// A server process's presence in a shared directory: a heartbeat that keeps it listed, and lists its rooms again when the directory lost them.
import {
  type Observable,
  type SchedulerLike,
  type Subscription,
  Subject,
  asyncScheduler,
  exhaustMap,
  from,
  timer,
} from 'rxjs';
import type { ProcessListing, RoomListing } from '../rooms/RoomDirectory.js';

/** What `Presence` needs of a directory (the Redis one has it). */
export interface PresenceDirectory {
  /** How long a process stays listed after its last refresh, in milliseconds. */
  readonly processTtlMs: number;
  /**
   * Registers or refreshes a process.
   * @returns true when it was not listed before this call: the first time, or it had expired,
   *   or the directory lost it (Redis restarted empty); its rooms must then be listed again.
   */
  refreshProcess(process: ProcessListing): Promise<boolean>;
  /** Lists a room (or replaces its listing). */
  put(listing: RoomListing): Promise<void>;
  /** Takes a room off the list. */
  remove(roomId: string): Promise<void>;
  /** Takes a process and all its rooms off the directory now (a clean shutdown). */
  removeProcess(processId: string): Promise<void>;
}

/** Options of {@link Presence}. */
export interface PresenceOptions {
  /** The shared directory this process is listed in. */
  readonly directory: PresenceDirectory;
  /** This process's listing now (its load changes): asked at every heartbeat. */
  readonly process: () => ProcessListing;
  /**
   * This process's rooms now, with their seats taken: asked when the directory lost them, to
   * list them again. The process that holds the rooms is the one that knows them.
   */
  readonly rooms: () => Iterable<RoomListing>;
  /**
   * The time between two heartbeats, in milliseconds. Default: a third of the directory's
   * `processTtlMs`, so two heartbeats may fail before the process expires.
   */
  readonly intervalMs?: number;
  /** The scheduler of the heartbeats. Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** What `Presence` reports (a failure is reported here, never thrown into the app). */
export const PresenceWarningCode = {
  /** A heartbeat failed (Redis is away): the next one tries again. */
  HeartbeatFailed: 'heartbeat-failed',
  /** The rooms could not all be listed again after the directory lost them: the next heartbeat tries again. */
  RoomsNotRestored: 'rooms-not-restored',
  /** Taking the process off the directory at `stop` failed: it expires within the time to live. */
  UnregisterFailed: 'unregister-failed',
} as const;
/** One of {@link PresenceWarningCode}. */
export type PresenceWarningCode = (typeof PresenceWarningCode)[keyof typeof PresenceWarningCode];

/** A warning of `Presence`. */
export interface PresenceWarning {
  /** What failed. */
  readonly code: PresenceWarningCode;
  /** For people. */
  readonly message: string;
  /** The error behind it. */
  readonly error: Error;
}

/** The states of a `Presence`. */
export const PresenceState = {
  /** Made, not started. */
  Idle: 'idle',
  /** Heartbeats running. */
  Running: 'running',
  /** Stopped for good. */
  Stopped: 'stopped',
} as const;
/** One of {@link PresenceState}. */
export type PresenceState = (typeof PresenceState)[keyof typeof PresenceState];

/** What `stop` does beside stopping the heartbeats. */
export interface PresenceStopOptions {
  /**
   * Take the process and its rooms off the directory now, so no one is sent to it any more.
   * With false they expire within the directory's time to live, as if the process had died.
   * Default: true.
   */
  readonly unregister?: boolean;
}

/**
 * Keeps a server process listed in a shared room directory: a heartbeat calls
 * `refreshProcess` (with the load of now) every `intervalMs`, so the process stays live while
 * it runs and disappears within the time to live once it stops. When a refresh finds the
 * process was not listed (Redis restarted empty, or the process expired during a long pause),
 * it lists every room of `rooms()` again: the directory is rebuilt by the processes that hold
 * the rooms. A failure (Redis away) is a warning on `warnings$`; the next heartbeat tries
 * again. Heartbeats never overlap: one that is slow makes the next ones wait.
 *
 * @example
 * const presence = new Presence({
 *   directory,
 *   process: () => ({ processId, address: { host, port }, load: server.players }),
 *   rooms: () => server.roomListings(),
 * });
 * presence.warnings$.subscribe((w) => log.warn(w.message));
 * await presence.start(); // listed now (or warned, and trying again)
 * // ... directory.put(room) for each new room; directory.remove(id) when it ends
 * await presence.stop(); // off the directory, with its rooms
 */
export class Presence {
  private readonly warnings = new Subject<PresenceWarning>();
  /** Heartbeats that failed, rooms that could not be listed again: never thrown. */
  readonly warnings$: Observable<PresenceWarning> = this.warnings.asObservable();
  private current: PresenceState = PresenceState.Idle;
  private heartbeats: Subscription | undefined;
  /** Resolves `start`'s promise (after the first heartbeat, or at a stop before it). */
  private started: (() => void) | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** The directory lost this process's rooms and they are not all listed again yet. */
  private restoring = false;
  private readonly intervalMs: number;

  constructor(private readonly options: PresenceOptions) {
    const interval = options.intervalMs ?? options.directory.processTtlMs / 3;
    if (!Number.isFinite(interval) || interval <= 0)
      throw new RangeError(`intervalMs must be a positive number of milliseconds, not ${interval}`);
    this.intervalMs = interval;
  }

  /** Where it is in its life: idle, running, or stopped. */
  get state(): PresenceState {
    return this.current;
  }

  /**
   * Starts the heartbeats; the first one runs now.
   * @returns a promise that resolves once the first heartbeat is over (listed, or warned).
   */
  start(): Promise<void> {
    if (this.current !== PresenceState.Idle)
      return Promise.reject(new Error(`a presence cannot start when ${this.current}`));
    this.current = PresenceState.Running;
    return new Promise((resolve) => {
      this.started = resolve;
      this.heartbeats = timer(0, this.intervalMs, this.options.scheduler ?? asyncScheduler)
        .pipe(exhaustMap(() => from((this.inFlight = this.beat()))))
        .subscribe(() => this.started?.());
    });
  }

  /**
   * Stops the heartbeats (waiting for one under way), and takes the process off the directory
   * unless told not to. Never rejects: a failure is a warning.
   */
  async stop(options: PresenceStopOptions = {}): Promise<void> {
    if (this.current === PresenceState.Stopped) return;
    const wasRunning = this.current === PresenceState.Running;
    this.current = PresenceState.Stopped;
    this.heartbeats?.unsubscribe();
    this.heartbeats = undefined;
    await this.inFlight;
    this.started?.();
    if (wasRunning && (options.unregister ?? true)) {
      try {
        await this.options.directory.removeProcess(this.options.process().processId);
      } catch (err) {
        this.warn(PresenceWarningCode.UnregisterFailed, 'taking the process off', err);
      }
    }
    this.warnings.complete();
  }

  /** One heartbeat: refresh, and list the rooms again if the directory lost them. Never rejects. */
  private async beat(): Promise<void> {
    const { directory } = this.options;
    try {
      if (await directory.refreshProcess(this.options.process())) this.restoring = true;
    } catch (err) {
      this.warn(PresenceWarningCode.HeartbeatFailed, 'heartbeat', err);
      return;
    }
    if (!this.restoring || this.current !== PresenceState.Running) return;
    try {
      const listed = [...this.options.rooms()];
      await Promise.all(listed.map((room) => directory.put(room)));
      // A room that ended while it was being listed again must not stay listed.
      const now = new Set([...this.options.rooms()].map((room) => room.roomId));
      const ended = listed.filter((room) => !now.has(room.roomId));
      await Promise.all(ended.map((room) => directory.remove(room.roomId)));
      this.restoring = false;
    } catch (err) {
      this.warn(PresenceWarningCode.RoomsNotRestored, 'listing the rooms again', err);
    }
  }

  private warn(code: PresenceWarningCode, what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.warnings.next({ code, message: `${what}: ${error.message}`, error });
  }
}
