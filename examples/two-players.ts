// The README's two-minute example: a server, two clients, ten frames printed.
// Run it with `npx tsx examples/two-players.ts`. In your own code, import from 'game-network'.
import { lastValueFrom, take } from 'rxjs';
import { connect, createServer } from '../src/node.js';

// A server on a free port: 30 ticks a second, 1 byte of input per player, 2 slots.
const server = await createServer({
  host: '127.0.0.1',
  port: 0,
  tickRate: 30,
  inputSize: 1,
  maxPlayers: 2,
});
const { tcpPort } = server.address;

// Two players join over TCP. Nobody has sent an input yet, so both start at tick 0.
const ann = await connect({ host: '127.0.0.1', port: tcpPort, username: 'ann' });
const bob = await connect({ host: '127.0.0.1', port: tcpPort, username: 'bob' });

// Every client gets the same confirmed frames. Subscribe before sending: frames$ is hot.
bob.frames$.subscribe((frame) => {
  const inputs = frame.inputs.map((input) => (input ? input[0] : '-'));
  const joined = frame.joined ? ` joined: ${frame.joined.map((p) => p.username).join(', ')}` : '';
  console.log(`tick ${frame.tick}: inputs ${inputs.join(' ')}${joined}`);
});
const tenFrames = lastValueFrom(bob.frames$.pipe(take(10)));

// One input per player per tick. A frame is confirmed once both inputs for its tick are in.
for (let tick = 0; tick < 10; tick++) {
  ann.sendInput(Uint8Array.of(tick));
  bob.sendInput(Uint8Array.of(100 + tick));
}

await tenFrames;
await ann.close();
await bob.close();
await server.close();
