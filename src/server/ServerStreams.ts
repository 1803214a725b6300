// The server's streams: their subjects, their mirror on the typed emitter, their completion.
import { Subject } from 'rxjs';
import type {
  AwayEvent,
  BackEvent,
  DesyncEvent,
  DropEvent,
  ServerNetworkEvent,
  SnapshotEvent,
  WarningEvent,
} from '../events.js';
import type { PlayerStats } from '../stats.js';
import type { ChatMessage, ConfirmedFrame, PlayerEvent } from '../types.js';

/** The typed-emitter events of a server: the streams, for code that does not use RxJS. */
export type ServerEvents = {
  /** Each value of `frames$`. */
  frame: (frame: ConfirmedFrame) => void;
  /** Each value of `players$`. */
  player: (event: PlayerEvent) => void;
  /** Each value of `chat$`. */
  chat: (message: ChatMessage) => void;
  /** Each warning of `events$`. */
  warning: (event: WarningEvent) => void;
  /** Each drop of `events$`. */
  drop: (event: DropEvent) => void;
  /** A desync, as in `events$`. */
  desync: (event: DesyncEvent) => void;
  /** Each snapshot of `events$`. */
  snapshot: (event: SnapshotEvent) => void;
  /** Each away of `events$`. */
  away: (event: AwayEvent) => void;
  /** Each back of `events$`. */
  back: (event: BackEvent) => void;
  /** Each value of `stats$`. */
  stats: (stats: PlayerStats) => void;
  /** The server has closed. */
  close: () => void;
};

/** Emits one event of a server's typed emitter. */
export type ServerEmit = <E extends keyof ServerEvents>(
  event: E,
  ...args: Parameters<ServerEvents[E]>
) => unknown;

/** The subjects behind a server's `frames$`, `players$`, `chat$`, `events$` and `stats$`. */
export class ServerStreams {
  /** Behind `frames$`. */
  readonly frames = new Subject<ConfirmedFrame>();
  /** Behind `players$`. */
  readonly players = new Subject<PlayerEvent>();
  /** Behind `chat$`. */
  readonly chat = new Subject<ChatMessage>();
  /** Behind `events$`. */
  readonly events = new Subject<ServerNetworkEvent>();
  /** Behind `stats$`. */
  readonly stats = new Subject<PlayerStats>();

  /** Mirrors every stream on the emitter: `frame`, `player`, `chat`, `stats` and each event's own. */
  mirror(emit: ServerEmit): void {
    this.frames.subscribe((f) => emit('frame', f));
    this.players.subscribe((p) => emit('player', p));
    this.chat.subscribe((c) => emit('chat', c));
    this.stats.subscribe((st) => emit('stats', st));
    this.events.subscribe((e) => {
      if (e.type === 'warning') emit('warning', e);
      else if (e.type === 'drop') emit('drop', e);
      else if (e.type === 'desync') emit('desync', e);
      else if (e.type === 'away') emit('away', e);
      else if (e.type === 'back') emit('back', e);
      else emit('snapshot', e);
    });
  }

  /** Completes every stream (the server has closed). */
  complete(): void {
    this.frames.complete();
    this.players.complete();
    this.chat.complete();
    this.events.complete();
    this.stats.complete();
  }
}
