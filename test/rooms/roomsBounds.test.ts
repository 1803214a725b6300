// What a peer cannot make a server with rooms do: list past one message, make rooms past its bounds, send a reservation without a room id.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, listRooms, type GameServer } from '../../src/node.js';
import {
  Limits,
  MessageType,
  PROTOCOL_VERSION,
  decodeClientTcp,
  encodeMessage,
} from '../../src/protocol/index.js';
import { withHeader } from '../../src/protocol/envelope.js';
import { flakyTransport } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function start(
  rooms: NonNullable<Parameters<typeof createServer>[0]>['rooms'],
): Promise<GameServer> {
  const server = await createServer({ host: '127.0.0.1', maxPlayers: 4, rooms });
  open.push(server);
  return server;
}

describe('rooms within bounds', () => {
  it('a room list of rooms with the largest metadata is cut to what one message holds', async () => {
    const server = await start({});
    const metadata: Record<string, string> = {};
    for (let i = 0; i < Limits.maxMetadataEntries; i++)
      metadata[`key-${String(i).padStart(2, '0')}`.padEnd(Limits.metadataKeyLength, 'k')] =
        'v'.repeat(Limits.metadataValueLength);
    for (let i = 0; i < Limits.maxListedRooms; i++)
      await server.createRoom({ id: `big-${i}`, metadata });
    const listed = await listRooms({ host: '127.0.0.1', port: server.address.tcpPort });
    expect(listed.length).toBeGreaterThan(5);
    expect(listed.length).toBeLessThan(Limits.maxListedRooms);
    expect(listed[0]).toMatchObject({ roomId: 'big-0', metadata });
    // Oldest first, a prefix.
    expect(listed.map((r) => r.roomId)).toEqual(listed.map((_, i) => `big-${i}`));
  });

  it('concurrent join-or-creates from one address make no more rooms than maxRoomsPerAddress, even with a slow onCreateRoom', async () => {
    let asked = 0;
    const server = await start({
      maxRoomsPerAddress: 3,
      onCreateRoom: async () => {
        asked++;
        await new Promise((r) => setTimeout(r, 50));
        return {};
      },
    });
    const tries = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        connect({
          host: '127.0.0.1',
          port: server.address.tcpPort,
          username: `u${i}`,
          match: { mode: `mode-${i}`, size: 2 }, // every one its own mode: no lock shared
        }).then((c) => (open.push(c), c)),
      ),
    );
    expect(server.roomList).toHaveLength(3);
    expect(asked).toBe(3);
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(3);
    for (const t of tries)
      if (t.status === 'rejected') expect(t.reason).toMatchObject({ reason: 'room-refused' });
  });

  it('a Join that shows a reservation with a mode instead of a room id is not valid', () => {
    const ok = encodeMessage({
      type: MessageType.Join,
      protocolVersion: PROTOCOL_VERSION,
      username: 'ann',
      password: '',
      room: { roomId: 'r-1' },
      reservation: new Uint8Array(16),
    });
    expect(decodeClientTcp(ok)).toMatchObject({ room: { roomId: 'r-1' } });
    const bad = withHeader([
      MessageType.Join,
      PROTOCOL_VERSION,
      'ann',
      '',
      ['duel', 2],
      new Uint8Array(16),
    ]);
    expect(() => decodeClientTcp(bad)).toThrow(/reservation/);
  });
});

describe("a room's seats in the directory", () => {
  it('an away player keeps its seat counted, through its reconnect, until it leaves', async () => {
    const server = await start({});
    await server.createRoom({ id: 'duo', maxPlayers: 2 });
    const flaky = flakyTransport();
    const ann = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'ann',
      room: 'duo',
      transport: flaky,
    });
    open.push(ann);
    ann.ready();
    await ann.seated;
    const count = async (): Promise<number | undefined> =>
      (await server.directory.get('duo'))?.players;
    expect(await count()).toBe(1);
    const reconnected = new Promise((resolve) =>
      ann.events$.subscribe((e) => e.type === 'reconnected' && resolve(e)),
    );
    // Its connection lost: away, its seat kept; counted while away.
    const whileAway = new Promise<number | undefined>((resolve) =>
      server.room('duo')!.events$.subscribe((e) => {
        if (e.type === 'away') void count().then(resolve);
      }),
    );
    flaky.cut();
    expect(await whileAway).toBe(1);
    await reconnected;
    expect(await count()).toBe(1);
    // One seat left: a second player gets it, a third is refused.
    const bob = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'bob',
      room: 'duo',
    });
    open.push(bob);
    expect(await count()).toBe(2);
    await expect(
      connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'cat', room: 'duo' }),
    ).rejects.toMatchObject({ reason: 'server-full' });
    await ann.close();
    await waitFor(async () => (await count()) === 1, { message: 'ann left: one seat counted' });
  });
});
