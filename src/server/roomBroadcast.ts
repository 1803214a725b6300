// A message to everyone in a room: every spectator and every connected player; a player whose connection backs up is dropped.
import type { Warn } from '../link/serviceDatagrams.js';
import { encodeMessage, type CatchUpFrames, type ServerTcpMessage } from '../protocol/index.js';
import type { Seats } from './Seats.js';
import type { Spectators } from './Spectators.js';

/**
 * Sends `msg` (encoded once) to every spectator and every connected player of a room. A
 * player whose unsent bytes pass `maxBacklog` (and who is not catching up) does not read its
 * connection: a `buffer-full` warning, and it is dropped.
 */
export function roomBroadcast(
  msg: Exclude<ServerTcpMessage, CatchUpFrames>,
  watching: Spectators,
  seats: Seats,
  maxBacklog: number,
  warn: Warn,
): void {
  const bytes = encodeMessage(msg);
  watching.broadcast(bytes);
  for (const seat of seats.connected()) {
    const session = seat.session!;
    if (!session.sendBytes(bytes, maxBacklog) && !seat.catchingUp) {
      warn('buffer-full', `player ${seat.playerId} does not read its TCP connection`, {
        playerId: seat.playerId,
        address: session.address,
      });
      seats.drop(session, 'error', 'not reading its connection');
    }
  }
}
