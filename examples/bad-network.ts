// The game loop of examples/game-loop.ts over a bad network: every end drops 20% of the
// datagrams it receives, duplicates and reorders some, and adds 5-15 ms of delay. The link
// conditioner is seeded, so a run replays exactly the same bad luck. The worlds still agree.
// Run it with `npx tsx examples/bad-network.ts`.
import { interval, lastValueFrom, map, scan, take } from 'rxjs';
import {
  connect,
  createServer,
  type GameClient,
  type LinkConditionerOptions,
} from '../src/node.js';
import { botInput, checksum, emptyWorld, step, type World } from './simulation.js';

const TICKS = 180;
const badLink = (seed: number): LinkConditionerOptions => ({
  loss: 0.2,
  duplicate: 0.05,
  reorder: 0.05,
  delayMs: 5,
  jitterMs: 10,
  seed,
});

const server = await createServer({
  host: '127.0.0.1',
  port: 0,
  tickRate: 60,
  inputSize: 1,
  maxPlayers: 4,
  conditioner: badLink(1), // what the server receives
});
let warnings = 0;
server.events$.subscribe((e) => {
  if (e.type === 'warning') warnings++;
  else if (e.type === 'drop') console.log(`server: dropped ${e.username}: ${e.message}`);
});
const join = (username: string, seed: number): Promise<GameClient> =>
  connect({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username,
    conditioner: badLink(seed), // what this client receives
  });
const clients = [await join('ann', 2), await join('bob', 3), await join('cat', 4)];

function play(client: GameClient): Promise<World> {
  const finalWorld = lastValueFrom(
    client.frames$.pipe(scan(step, emptyWorld(client.maxPlayers)), take(TICKS)),
  );
  const loop = interval(1000 / client.tickRate)
    .pipe(
      take(TICKS),
      map((i) => botInput(client.playerId, client.startTick + i)),
    )
    .subscribe((input) => client.sendInput(input));
  return finalWorld.finally(() => loop.unsubscribe());
}

const started = performance.now();
const worlds = await Promise.all(clients.map(play));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
clients.forEach((c, i) =>
  console.log(
    `${c.username}: tick ${worlds[i].tick}, checksum ${checksum(worlds[i]).toString(16)}`,
  ),
);
const agree = worlds.every((w) => checksum(w) === checksum(worlds[0]));
console.log(
  `${TICKS} ticks in ${seconds} s at 20% loss; ${warnings} warnings on the server; ` +
    (agree ? 'the worlds agree' : 'DESYNC'),
);

for (const c of clients) await c.close();
await server.close();
if (!agree) process.exitCode = 1;
