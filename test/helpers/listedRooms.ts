// The rooms the listing tests make: two of mode ctf (one with metadata, one of two seats), one of mode chill.
import type { GameServer } from '../../src/node.js';

/**
 * Makes rooms `castle` (mode ctf, metadata `{ map: 'castle', ranked: true }`), `desert` (mode
 * ctf, 2 seats) and `lobby` (mode chill) on `server`.
 */
export async function createListedRooms(server: GameServer): Promise<void> {
  await server.createRoom({ id: 'castle', mode: 'ctf', metadata: { map: 'castle', ranked: true } });
  await server.createRoom({ id: 'desert', mode: 'ctf', maxPlayers: 2 });
  await server.createRoom({ id: 'lobby', mode: 'chill' });
}
