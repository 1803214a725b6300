// An RxJS game loop on top of game-network: each client samples its controller on its
// `ticks$` (the game clock, paced by the server) and sends the input; `frames$` drives the simulation.
// Two clients and the server run the same simulation and end with the same checksum.
// Run it with `npx tsx examples/game-loop.ts`.
import { lastValueFrom, map, scan, take, tap } from 'rxjs';
import { connect, createServer, type GameClient } from '../src/node.js';
import { botInput, checksum, emptyWorld, step, type World } from './simulation.js';

const TICKS = 120;

const server = await createServer({
  host: '127.0.0.1',
  port: 0,
  tickRate: 60,
  inputSize: 1,
  maxPlayers: 4,
});
const join = (username: string): Promise<GameClient> =>
  connect({ host: '127.0.0.1', port: server.address.tcpPort, username });
const clients = [await join('ann'), await join('bob')];

// The server sees the same frames: it can run the simulation too (a referee, a replay).
const serverWorld = lastValueFrom(
  server.frames$.pipe(scan(step, emptyWorld(server.maxPlayers)), take(TICKS)),
);

/** One client's game: the loop sends inputs, the frames move the world. */
function play(client: GameClient): Promise<World> {
  // The simulation: confirmed frames in, worlds out. Subscribed before any input is sent.
  const world$ = client.frames$.pipe(
    scan(step, emptyWorld(client.maxPlayers)),
    tap((world) => {
      if (client.playerId === 0 && world.tick % 30 === 0)
        console.log(`tick ${world.tick}: checksum ${checksum(world).toString(16)}`);
    }),
    take(TICKS),
  );
  const finalWorld = lastValueFrom(world$);
  // The game loop: client.ticks$ ticks at the match's rate, paced by the server so this
  // player's inputs arrive in step with the others'; sample the controller, send the input.
  const loop = client.ticks$
    .pipe(
      take(TICKS),
      map((tick) => botInput(client.playerId, tick)),
    )
    .subscribe((input) => client.sendInput(input));
  return finalWorld.finally(() => loop.unsubscribe());
}

const worlds = await Promise.all(clients.map(play));
const sums = [...worlds, await serverWorld].map((w) => checksum(w).toString(16));
console.log(`after tick ${worlds[0].tick}: ann ${sums[0]}, bob ${sums[1]}, server ${sums[2]}`);
console.log(sums.every((s) => s === sums[0]) ? 'the worlds agree' : 'DESYNC');

for (const c of clients) await c.close();
await server.close();
if (!sums.every((s) => s === sums[0])) process.exitCode = 1;
