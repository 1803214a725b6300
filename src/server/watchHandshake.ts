// The server's side of a spectator's join: version, room, name, authentication, then admitted or refused.
import { RefuseReason } from '../errors.js';
import { authenticated, upFrontRefusal, type JoinAsk, type JoinDesk } from './joinHandshake.js';
import type { PeerSession } from './PeerSession.js';
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
  const refusal = upFrontRefusal(desk, ask);
  if (refusal !== undefined) return desk.refuse(session, refusal);
  if (!spectators.hasRoom(session)) return desk.refuse(session, RefuseReason.ServerFull);
  if (await authenticated(desk, session, ask, spectators)) spectators.admit(session);
}
