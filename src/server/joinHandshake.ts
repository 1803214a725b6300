// The server's side of the join handshake: version, name, seat, authentication, then a seat or a refusal.
import { RefuseReason } from '../errors.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { ResolvedServerOptions, RoomInfo } from './options.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import { SeatState, tokensEqual, type Seat } from './Seat.js';
import type { TimeoutBackoff } from './TimeoutBackoff.js';

/** A join request, as the handshake needs it. */
export interface JoinAsk {
  readonly protocolVersion: number;
  readonly username: string;
  readonly password: string;
}

/** What the handshake needs from its server. */
export interface JoinDesk {
  readonly options: ResolvedServerOptions;
  readonly match: Match;
  /** The room's sessions (names are unique among them). */
  readonly sessions: ReadonlySet<PeerSession>;
  /** Every session of the server (joins inside `authenticate` are bounded over all of them). */
  readonly allSessions: ReadonlySet<PeerSession>;
  /** The room joined, as `authenticate` is told it. */
  readonly room: RoomInfo;
  readonly closing: () => boolean;
  readonly warn: Warn;
  /** Refuses the join and closes the connection. */
  readonly refuse: (session: PeerSession, reason: RefuseReason) => void;
  /** Gives the player the seat the match has just held for it. */
  readonly seat: (session: PeerSession, playerId: number) => void;
  /** Gives `seat` back to its player, on the new connection `session`. */
  readonly reseat: (session: PeerSession, seat: Seat, lastTick: number) => void;
  /** How long joins from this account or address must wait after repeated timeouts. */
  readonly backoff: TimeoutBackoff;
  /** The seats held now, by slot (held, playing or away). */
  readonly seats: () => Iterable<Seat>;
  /**
   * Counts a seat for `session` in the room directory (join-or-create counted it already):
   * false when the directory says the room is full.
   */
  readonly reserve: (session: PeerSession) => Promise<boolean>;
}

/** A reconnect request, as the handshake needs it. */
export interface ReconnectAsk {
  readonly protocolVersion: number;
  readonly token: Uint8Array;
  readonly lastTick: number;
}

/**
 * Runs one join request to its end: refused (wrong version, name taken, no free seat, bad
 * credentials, too many joins at once) or seated. While `authenticate` runs the name is held
 * for the session but no seat: seats go to authenticated players only, so joins that fail
 * authentication lock no one out. Joins inside `authenticate` are bounded on their own
 * (`maxAuthenticating`, and `maxAuthenticatingPerAddress` from one address).
 */
export async function handleJoin(
  desk: JoinDesk,
  session: PeerSession,
  ask: JoinAsk,
): Promise<void> {
  const { username } = ask;
  const refusal = upFrontRefusal(desk, ask);
  if (refusal !== undefined) return desk.refuse(session, refusal);
  if (
    desk.backoff.waitMs(`user:${username.toLowerCase()}`) > 0 ||
    desk.backoff.waitMs(`addr:${session.address}`) > 0
  )
    return desk.refuse(session, RefuseReason.TryLater);
  if (desk.match.freeSlots() === 0 || tooManyAuthenticating(desk, session))
    return desk.refuse(session, RefuseReason.ServerFull);
  if (!(await authenticated(desk, session, ask))) return;
  if (!(await desk.reserve(session))) {
    if (session.state === SessionState.Authenticating && !desk.closing())
      desk.refuse(session, RefuseReason.ServerFull);
    return;
  }
  if (session.state !== SessionState.Authenticating || desk.closing())
    return desk.refuse(session, RefuseReason.ServerClosing); // its count is given back on release
  const held = desk.match.hold(username);
  if (!held.ok) return desk.refuse(session, RefuseReason.ServerFull);
  desk.seat(session, held.playerId);
}

/**
 * The checks a player's join and a spectator's join both start with: the protocol version,
 * then the name (`nameTaken`). Returns the reason to refuse with, or undefined when both pass.
 */
export function upFrontRefusal(desk: JoinDesk, ask: JoinAsk): RefuseReason | undefined {
  if (ask.protocolVersion !== PROTOCOL_VERSION) return RefuseReason.VersionMismatch;
  if (nameTaken(desk, ask.username)) return RefuseReason.DuplicateName;
  return undefined;
}

/** What holds a place for a join while `authenticate` runs (the spectators, for a spectator's join). */
export interface AuthenticationHold {
  hold(session: PeerSession): void;
  unhold(session: PeerSession): void;
}

/**
 * Holds the name for `session` (and its place in `place`, if given) while `authenticate` runs.
 * True when it said yes and the session still waits for the answer; when it said no, refuses
 * the join (`bad-credentials`) and returns false; false, doing nothing, when the session went
 * away or the server began closing meanwhile.
 */
export async function authenticated(
  desk: JoinDesk,
  session: PeerSession,
  ask: JoinAsk,
  place?: AuthenticationHold,
): Promise<boolean> {
  session.authenticate(ask.username);
  place?.hold(session);
  const ok = await authenticate(desk, session, ask);
  place?.unhold(session);
  if (session.state !== SessionState.Authenticating || desk.closing()) return false; // went away
  if (!ok) desk.refuse(session, RefuseReason.BadCredentials);
  return ok;
}

/** The application's `authenticate` on a join request: false when it says no, or throws (a warning). */
export async function authenticate(
  desk: JoinDesk,
  session: PeerSession,
  ask: JoinAsk,
): Promise<boolean> {
  try {
    return await desk.options.authenticate({
      username: ask.username,
      password: ask.password,
      address: session.address,
      room: desk.room,
    });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    desk.warn('authenticate-failed', `authenticate threw: ${error.message}`, {
      address: session.address,
      error,
    });
    return false;
  }
}

/**
 * Runs one reconnect request: the seat whose token it shows (compared in constant time,
 * against every seat) goes to this session; any other token, one already used or one of a
 * seat released, is refused (`bad-token`) and changes nothing.
 */
export function handleReconnect(desk: JoinDesk, session: PeerSession, ask: ReconnectAsk): void {
  if (ask.protocolVersion !== PROTOCOL_VERSION)
    return desk.refuse(session, RefuseReason.VersionMismatch);
  if (desk.closing()) return desk.refuse(session, RefuseReason.ServerClosing);
  let found: Seat | undefined;
  for (const seat of desk.seats()) {
    // Every seat is compared, so the time says nothing about which one matched.
    if (tokensEqual(seat.token, ask.token) && seat.state !== SeatState.Gone) found = seat;
  }
  if (found === undefined || found.state === SeatState.Holding)
    return desk.refuse(session, RefuseReason.BadToken);
  desk.reseat(session, found, ask.lastTick);
}

/** Whether a player or a spectator holds `username`, or a join is being authenticated with it (in any case). */
export function nameTaken(desk: JoinDesk, username: string): boolean {
  const lower = username.toLowerCase();
  for (const seat of desk.seats()) if (seat.player.username.toLowerCase() === lower) return true;
  for (const s of desk.sessions) {
    if (
      s.state !== SessionState.Playing &&
      s.state !== SessionState.Authenticating &&
      s.state !== SessionState.Watching
    )
      continue;
    if (s.username?.toLowerCase() === lower) return true;
  }
  return false;
}

/** Whether the joins inside `authenticate` are at their bound, overall or from `session`'s address. */
function tooManyAuthenticating(desk: JoinDesk, session: PeerSession): boolean {
  let all = 0;
  let fromAddress = 0;
  for (const s of desk.allSessions) {
    if (s.state !== SessionState.Authenticating || s === session) continue;
    all++;
    if (s.address === session.address) fromAddress++;
  }
  const { maxAuthenticating, maxAuthenticatingPerAddress } = desk.options;
  return all >= maxAuthenticating || fromAddress >= maxAuthenticatingPerAddress;
}
