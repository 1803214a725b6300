// One connection on the server, from its join request to its goodbye, as explicit states.
import type { Subscription } from 'rxjs';
import { MessageTooLargeError, type GameNetworkError } from '../errors.js';
import {
  MessageType,
  encodeMessage,
  type CatchUpFrames,
  type ServerTcpMessage,
} from '../protocol/index.js';
import type { TransportPeer } from '../transport/Transport.js';
import type { Seat } from './Seat.js';

/** The states of a session, in the order it goes through them. */
export const SessionState = {
  /** Connected; its join request has not come yet. */
  Joining: 'joining',
  /** Its join request is being authenticated (its name is reserved meanwhile). */
  Authenticating: 'authenticating',
  /** Attached to a seat (held, playing or catching up: see the seat's own state). */
  Playing: 'playing',
  /** A spectator: it gets the frames, and has no seat (see `Spectators`). */
  Watching: 'watching',
  /** Leaving the match: told goodbye, its connection closing. */
  Leaving: 'leaving',
  /** Nothing is left of it. */
  Gone: 'gone',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** A state with what exists only in it. */
export type SessionStatus =
  | { readonly state: typeof SessionState.Joining; readonly timer: ReturnType<typeof setTimeout> }
  | { readonly state: typeof SessionState.Authenticating; readonly username: string }
  | { readonly state: typeof SessionState.Playing; readonly seat: Seat }
  | { readonly state: typeof SessionState.Watching; readonly username: string }
  | { readonly state: typeof SessionState.Leaving; readonly seat: Seat }
  | { readonly state: typeof SessionState.Gone };

/** What a session reports to its server. */
export interface SessionHandlers {
  /** A whole message from the peer (not decoded yet). */
  readonly onMessage: (session: PeerSession, bytes: Uint8Array) => void;
  /** The connection closed (`error` set when it failed). */
  readonly onClosed: (session: PeerSession, error: GameNetworkError | undefined) => void;
  /** It failed with an over-sized message (reported before `onClosed`). */
  readonly onTooLarge: (session: PeerSession, error: MessageTooLargeError) => void;
}

/**
 * One connection on the server and what it is in the match. Each transition is one method
 * that checks the state it leaves; the fields of a state live on that state's object.
 */
export class PeerSession {
  private status: SessionStatus;
  private readonly sub: Subscription;

  constructor(
    readonly peer: TransportPeer,
    joinTimer: ReturnType<typeof setTimeout>,
    handlers: SessionHandlers,
  ) {
    this.status = { state: SessionState.Joining, timer: joinTimer };
    this.sub = peer.messages.messages$.subscribe({
      next: (bytes) => handlers.onMessage(this, bytes),
      error: (err: GameNetworkError) => {
        if (err instanceof MessageTooLargeError) handlers.onTooLarge(this, err);
        handlers.onClosed(this, err);
      },
      complete: () => handlers.onClosed(this, undefined),
    });
  }

  /** Ends `sub` with the session. */
  own(sub: Subscription): void {
    this.sub.add(sub);
  }

  get state(): SessionState {
    return this.status.state;
  }

  /** Its seat while playing or leaving. */
  get seat(): Seat | undefined {
    const s = this.status;
    return s.state === SessionState.Playing || s.state === SessionState.Leaving
      ? s.seat
      : undefined;
  }

  /** Its seat while playing (not once leaving). */
  get playing(): Seat | undefined {
    const s = this.status;
    return s.state === SessionState.Playing ? s.seat : undefined;
  }

  /** The name it joined (or is joining) with, once it asked. */
  get username(): string | undefined {
    const s = this.status;
    if (s.state === SessionState.Authenticating || s.state === SessionState.Watching)
      return s.username;
    return this.seat?.player.username;
  }

  /** The seat's player id, for warnings; undefined before it has one. */
  get playerId(): number | undefined {
    return this.seat?.playerId;
  }

  /** Where the peer is, as its transport names it. */
  get address(): string {
    return this.peer.remoteAddress;
  }

  /** joining -> authenticating: the join request came, with this name. */
  authenticate(username: string): void {
    const s = this.status;
    if (s.state !== SessionState.Joining) throw new Error(`authenticate in state ${s.state}`);
    clearTimeout(s.timer);
    this.status = { state: SessionState.Authenticating, username };
  }

  /** authenticating -> playing: the join is accepted, in this seat. */
  play(seat: Seat): void {
    const s = this.status;
    if (s.state !== SessionState.Authenticating) throw new Error(`play in state ${s.state}`);
    this.status = { state: SessionState.Playing, seat };
  }

  /** authenticating -> watching: a spectator's join is accepted. */
  watch(): void {
    const s = this.status;
    if (s.state !== SessionState.Authenticating) throw new Error(`watch in state ${s.state}`);
    this.status = { state: SessionState.Watching, username: s.username };
  }

  /** joining -> playing: a reconnect with a good token gives this session that seat. */
  resume(seat: Seat): void {
    const s = this.status;
    if (s.state !== SessionState.Joining) throw new Error(`resume in state ${s.state}`);
    clearTimeout(s.timer);
    this.status = { state: SessionState.Playing, seat };
  }

  /** playing -> leaving: its goodbye (if any) is sent from here on, and nothing else. */
  leave(): Seat {
    const s = this.status;
    if (s.state !== SessionState.Playing) throw new Error(`leave in state ${s.state}`);
    this.status = { state: SessionState.Leaving, seat: s.seat };
    return s.seat;
  }

  /**
   * any -> gone: frees everything it holds and closes the connection after what is queued.
   * Its seat, if any, is the server's to keep or release: it is detached from this session.
   */
  release(): void {
    const s = this.status;
    if (s.state === SessionState.Gone) return;
    if (s.state === SessionState.Joining) clearTimeout(s.timer);
    if (
      (s.state === SessionState.Playing || s.state === SessionState.Leaving) &&
      s.seat.session === this
    )
      s.seat.detach();
    this.status = { state: SessionState.Gone };
    this.sub.unsubscribe();
    this.peer.messages.end();
  }

  /** Closes at once, whatever the state (a connection the server will not serve). */
  destroy(): void {
    this.release();
    this.peer.messages.destroy();
  }

  /** Sends one message; see {@link PeerSession.sendBytes}. */
  send(msg: Exclude<ServerTcpMessage, CatchUpFrames>): boolean {
    return this.sendBytes(encodeMessage(msg));
  }

  /**
   * Sends encoded bytes.
   * @returns false when the peer's unread backlog is over `maxBacklog` after it (it does
   * not read its connection).
   */
  sendBytes(bytes: Uint8Array, maxBacklog = Number.POSITIVE_INFINITY): boolean {
    this.peer.messages.send(bytes);
    return this.peer.messages.bufferedBytes <= maxBacklog;
  }

  /** Sends the transport's setup bytes to the client's transport. */
  signal(data: Uint8Array): void {
    if (this.status.state === SessionState.Gone) return;
    this.send({ type: MessageType.SignalToClient, data });
  }
}
