// What each message on a session's reliable channel does: the join, chat, leave, snapshots and transport signals.
import { DecodeError, RefuseReason } from '../errors.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import { MessageType, decodeClientTcp, type ClientTcpMessage } from '../protocol/index.js';
import type { SnapshotEvent } from '../events.js';
import type { LeaveReason } from '../types.js';
import { handleJoin, handleReconnect, type JoinAsk, type JoinDesk } from './joinHandshake.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import { ChatVerdict, type ChatBudget } from './ChatBudget.js';
import type { Seat } from './Seat.js';

/** What the reliable channel's messages act on. */
export interface ReliableHost {
  readonly desk: JoinDesk;
  readonly match: Match;
  readonly warn: Warn;
  readonly refuse: (session: PeerSession, reason: RefuseReason) => void;
  readonly drop: (session: PeerSession, reason: LeaveReason, message: string) => void;
  readonly release: (session: PeerSession) => void;
  /** A chat line from a player: to the application and every player. */
  readonly chat: (from: string, text: string) => void;
  /** The chat budget of the player in `seat`'s slot. */
  readonly chatBudget: (seat: Seat) => ChatBudget;
  readonly snapshot: (event: SnapshotEvent) => void;
  /** The player in the session's seat is ready. */
  readonly ready: (session: PeerSession) => void;
  /** A spectator's join request. */
  readonly watch: (session: PeerSession, ask: JoinAsk) => Promise<void>;
  /** A chat line from a spectator: taken or refused by the `spectatorChat` option. */
  readonly spectatorChat: (session: PeerSession, text: string) => void;
  /** A state snapshot the server asked this player for. */
  readonly snapshotOffer: (session: PeerSession, tick: number, data: Uint8Array) => void;
}

/**
 * One whole message from a session's reliable channel. What does not decode is a warning
 * (and, before the join, a refusal); a message that is valid but not expected in the
 * session's state is an `unexpected-message` warning and changes nothing.
 */
export function onReliableMessage(
  host: ReliableHost,
  session: PeerSession,
  bytes: Uint8Array,
): void {
  const msg = decodeFromSession(host.warn, host.refuse, session, bytes);
  if (msg !== undefined) onClientMessage(host, session, msg);
}

/**
 * Decodes one message from `session`'s reliable channel. What does not decode is a warning
 * (and, before the join, a refusal): then undefined.
 */
export function decodeFromSession(
  warn: Warn,
  refuse: (session: PeerSession, reason: RefuseReason) => void,
  session: PeerSession,
  bytes: Uint8Array,
): ClientTcpMessage | undefined {
  try {
    return decodeClientTcp(bytes);
  } catch (err) {
    const e = err instanceof DecodeError ? err : new DecodeError('malformed', String(err));
    warn('decode-error', `bad TCP message: ${e.message}`, {
      playerId: session.playerId,
      address: session.address,
      error: e,
    });
    if (session.state === SessionState.Joining)
      refuse(
        session,
        e.code === 'bad-version' ? RefuseReason.VersionMismatch : RefuseReason.BadRequest,
      );
    return undefined;
  }
}

/** What one decoded message from a session of the room does (see `onReliableMessage`). */
export function onClientMessage(
  host: ReliableHost,
  session: PeerSession,
  msg: ClientTcpMessage,
): void {
  const unexpected = (message: string): void =>
    host.warn('unexpected-message', message, {
      playerId: session.playerId,
      address: session.address,
    });
  switch (msg.type) {
    case MessageType.Join:
    case MessageType.Watch:
      if (session.state !== SessionState.Joining) {
        unexpected('a second join request on the same connection');
        return;
      }
      (msg.type === MessageType.Watch
        ? host.watch(session, msg)
        : handleJoin(host.desk, session, msg)
      ).catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        host.warn('join-failed', `join failed: ${error.message}`, {
          address: session.address,
          error,
        });
        if (session.state === SessionState.Playing) host.drop(session, 'error', 'join failed');
        else host.release(session);
      });
      return;
    case MessageType.Reconnect:
      if (session.state !== SessionState.Joining) {
        unexpected('a reconnect request after the join');
        return;
      }
      handleReconnect(host.desk, session, msg);
      return;
    case MessageType.Ready:
      if (session.state !== SessionState.Playing) {
        unexpected('ready before the join was accepted');
        return;
      }
      host.ready(session);
      return;
    case MessageType.SnapshotOffer:
      if (session.state !== SessionState.Playing) {
        unexpected('a snapshot before the join was accepted');
        return;
      }
      host.snapshotOffer(session, msg.tick, msg.data);
      return;
    case MessageType.Chat: {
      const username = session.playing?.player.username;
      if (session.state === SessionState.Watching) {
        host.spectatorChat(session, msg.text);
        return;
      }
      if (username === undefined) {
        unexpected('chat before the join was accepted');
        return;
      }
      if (!withinBudget(host, session, msg.text)) return;
      host.chat(username, msg.text);
      return;
    }
    case MessageType.Leave:
      if (session.state === SessionState.Playing) host.drop(session, 'left', 'left the game');
      else host.release(session);
      return;
    case MessageType.Snapshot: {
      const seat = session.playing;
      const desync = host.match.desync;
      if (!seat || !desync || msg.tick !== desync.tick || !seat.takeSnapshot()) {
        unexpected('a snapshot nobody asked for');
        return;
      }
      host.snapshot({ type: 'snapshot', playerId: seat.playerId, tick: msg.tick, data: msg.data });
      return;
    }
    case MessageType.ListRooms:
      unexpected('a room list asked for after the join');
      return;
    case MessageType.SignalToServer:
      if (session.state !== SessionState.Playing) {
        unexpected('a transport signal before the join was accepted');
        return;
      }
      session.peer.signal(msg.data);
      return;
  }
}

/**
 * Whether a chat line from `session` is within its sender's budget. The first line over it
 * is refused and the sender told to slow down; past its strikes, the sender is dropped.
 */
function withinBudget(host: ReliableHost, session: PeerSession, text: string): boolean {
  const seat = session.playing;
  if (seat === undefined) return false;
  const verdict = host.chatBudget(seat).take(Buffer.byteLength(text));
  if (verdict === ChatVerdict.Pass) return true;
  const details = { playerId: session.playerId, address: session.address };
  if (verdict === ChatVerdict.Warn) {
    host.warn('chat-over-budget', `player ${seat.playerId} chats over its budget: warned`, details);
    session.send({
      type: MessageType.ChatBroadcast,
      from: 'server',
      text: 'chat over budget: lines are dropped; slow down or be disconnected',
    });
  } else if (verdict === ChatVerdict.Drop) {
    host.warn(
      'chat-over-budget',
      `player ${seat.playerId} chats over its budget: dropped`,
      details,
    );
    host.drop(session, 'kicked', 'chat over budget');
  }
  return false;
}
