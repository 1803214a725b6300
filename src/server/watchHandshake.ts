// The server's side of a spectator's join: version, room, name, authentication, then admitted or refused.
import { RefuseReason } from '../errors.js';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import { authenticate, nameTaken, type JoinAsk, type JoinDesk } from './joinHandshake.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import type { Spectators } from './Spectators.js';

/**
 * Runs one spectator's join request to its end: refused (wrong version, no room for one more
 * spectator, name taken by a player or a spectator, bad credentials) or admitted. Its place
 * is held while `authenticate` runs. A spectator needs no free slot.
 */
export async function handleWatch(
  desk: JoinDesk,
  spectators: Spectators,
  session: PeerSession,
  ask: JoinAsk,
): Promise<void> {
  const { username } = ask;
  if (ask.protocolVersion !== PROTOCOL_VERSION)
    return desk.refuse(session, RefuseReason.VersionMismatch);
  if (nameTaken(desk, username)) return desk.refuse(session, RefuseReason.DuplicateName);
  if (!spectators.hasRoom(session)) return desk.refuse(session, RefuseReason.ServerFull);
  session.authenticate(username);
  spectators.hold(session);
  const ok = await authenticate(desk, session, ask);
  spectators.unhold(session);
  if (session.state !== SessionState.Authenticating || desk.closing()) return; // went away
  if (!ok) return desk.refuse(session, RefuseReason.BadCredentials);
  spectators.admit(session);
}
