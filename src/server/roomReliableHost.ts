// A room's join desk and the host its reliable messages act on, wired from the room's parts.
import type { SnapshotEvent } from '../events.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import type { AbuseGuards } from './AbuseGuards.js';
import type { JoinDesk } from './joinHandshake.js';
import type { ResolvedServerOptions, RoomInfo } from './options.js';
import type { PeerSession } from './PeerSession.js';
import type { ReliableHost } from './reliableMessages.js';
import type { Seats } from './Seats.js';
import type { ServerSnapshots } from './ServerSnapshots.js';
import type { Spectators } from './Spectators.js';
import { handleWatch } from './watchHandshake.js';

/** The parts of a room its join desk and its reliable messages act on. */
export interface RoomReliableParts {
  /** The server's options. */
  readonly options: ResolvedServerOptions;
  /** The room now (its metadata may change), as `authenticate` is told it. */
  readonly info: () => RoomInfo;
  /** The room's match. */
  readonly match: Match;
  /** The room's sessions (joining it, playing, watching). */
  readonly sessions: ReadonlySet<PeerSession>;
  /** Every session of the server. */
  readonly allSessions: ReadonlySet<PeerSession>;
  /** The room's seats. */
  readonly seats: Seats;
  /** The room's spectators. */
  readonly watching: Spectators;
  /** The room's abuse guards. */
  readonly guards: AbuseGuards;
  /** The room's state snapshots. */
  readonly snapshots: ServerSnapshots;
  /** Whether the room is ending (or has ended). */
  readonly closing: () => boolean;
  /** Warns on the room's `events$`. */
  readonly warn: Warn;
  /** Counts a seat for `session` in the room directory: false when it is full there. */
  readonly reserve: (session: PeerSession) => Promise<boolean>;
  /** A chat line taken: to the room's `chat$`, every player and every spectator. */
  readonly chat: (from: string, text: string) => void;
  /** A snapshot event: to the room's `events$`. */
  readonly snapshot: (event: SnapshotEvent) => void;
}

/**
 * The host a room's reliable messages act on, with the room's join desk as its `desk`. A
 * spectator's chat line is taken if the `spectatorChat` option is on, else a warning.
 */
export function roomReliableHost(parts: RoomReliableParts): ReliableHost {
  const { options, match, seats, watching, guards, snapshots, warn, chat } = parts;
  const desk: JoinDesk = {
    options,
    match,
    sessions: parts.sessions,
    allSessions: parts.allSessions,
    get room() {
      return parts.info();
    },
    closing: parts.closing,
    warn,
    refuse: (session, reason) => seats.refuse(session, reason),
    seat: (session, playerId) => seats.seat(session, playerId),
    reseat: (session, seat, lastTick) => seats.reseat(session, seat, lastTick),
    seats: () => seats.all(),
    backoff: guards.backoff,
    reserve: parts.reserve,
  };
  return {
    desk,
    match,
    warn,
    refuse: (session, reason) => seats.refuse(session, reason),
    drop: (session, reason, message) => seats.drop(session, reason, message),
    release: (session) => seats.release(session),
    chat,
    chatBudget: (seat) => guards.chatBudget(seat),
    snapshot: parts.snapshot,
    ready: (session) => seats.onReady(session),
    snapshotOffer: (session, tick, data) => snapshots.onSnapshotOffer(session, tick, data),
    watch: (session, ask) => handleWatch(desk, watching, session, ask),
    spectatorChat: (session, text) => {
      const from = session.username ?? '';
      if (!options.spectatorChat)
        return warn('unexpected-message', `chat from spectator ${from}: spectatorChat is off`, {
          address: session.address,
        });
      chat(from, text);
    },
  };
}
