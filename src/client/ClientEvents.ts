// The client's typed-emitter events, and the forwarding of `events$` to them.
import type {
  CaughtUpEvent,
  ClientNetworkEvent,
  DesyncEvent,
  DisconnectedEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  SeatedEvent,
  WarningEvent,
} from '../events.js';
import type { TypedEventEmitter } from '../emitter.js';
import type { NetworkStats } from '../stats.js';
import type { ChatMessage, ConfirmedFrame } from '../types.js';

/** The typed-emitter events of a client: the streams, for code that does not use RxJS. */
export type ClientEvents = {
  /** Each value of `frames$`. */
  frame: (frame: ConfirmedFrame) => void;
  /** Each value of `worldState$`. */
  worldState: (bytes: Uint8Array) => void;
  /** Each value of `chat$`. */
  chat: (message: ChatMessage) => void;
  /** Each warning of `events$`. */
  warning: (event: WarningEvent) => void;
  /** The end of the session, as in `events$`. */
  disconnected: (event: DisconnectedEvent) => void;
  /** A desync, as in `events$`. */
  desync: (event: DesyncEvent) => void;
  /** This player's inputs count from a tick on, as in `events$`. */
  seated: (event: SeatedEvent) => void;
  /** The catch-up is over, as in `events$`. */
  caughtUp: (event: CaughtUpEvent) => void;
  /** A reconnect is tried, as in `events$`. */
  reconnecting: (event: ReconnectingEvent) => void;
  /** The seat is back on a new connection, as in `events$`. */
  reconnected: (event: ReconnectedEvent) => void;
  /** Each value of `stats$`. */
  stats: (stats: NetworkStats) => void;
};

/** Emits one value of `events$` as its typed-emitter event. @internal */
export function emitNetworkEvent(
  emitter: TypedEventEmitter<ClientEvents>,
  e: ClientNetworkEvent,
): void {
  switch (e.type) {
    case 'warning':
      emitter.emit('warning', e);
      return;
    case 'disconnected':
      emitter.emit('disconnected', e);
      return;
    case 'desync':
      emitter.emit('desync', e);
      return;
    case 'seated':
      emitter.emit('seated', e);
      return;
    case 'caught-up':
      emitter.emit('caughtUp', e);
      return;
    case 'reconnecting':
      emitter.emit('reconnecting', e);
      return;
    case 'reconnected':
      emitter.emit('reconnected', e);
      return;
  }
}
