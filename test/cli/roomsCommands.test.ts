// The rooms commands in process: the server's log of rooms made, played in and ended, and the
// bot's --list-rooms table.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type GameClient } from '../../src/node.js';
import type { ServerCommandOptions } from '../../src/cli/args.js';
import { BufferOutput } from '../../src/cli/format.js';
import { runListRooms } from '../../src/cli/roomList.js';
import { runServerCommand } from '../../src/cli/server.js';
import { createListedRooms } from '../helpers/listedRooms.js';
import { waitFor } from '../helpers/waitFor.js';

const io = () => ({ stdout: new BufferOutput(), stderr: new BufferOutput() });
const link = { loss: 0, jitterMs: 0, delayMs: 0, seed: 1 };

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const serverOptions = (rooms: ServerCommandOptions['rooms']): ServerCommandOptions => ({
  ...link,
  host: '127.0.0.1',
  port: 0,
  udpPort: 0,
  tickRate: 60,
  maxPlayers: 4,
  inputSize: 2,
  ...(rooms === undefined ? {} : { rooms }),
});

/** Starts `game-network server` in process; resolves with its TCP port once it listens. */
async function startServer(
  options: ServerCommandOptions,
): Promise<{ out: ReturnType<typeof io>; port: number; stop: () => Promise<number> }> {
  const out = io();
  const controller = new AbortController();
  const done = runServerCommand(options, out, controller.signal);
  const stop = (): Promise<number> => (controller.abort(), done);
  cleanup.push(stop);
  const listening = await waitFor(
    () => /^listening tcp 127\.0\.0\.1:(\d+) .*\n/m.exec(out.stdout.text),
    { message: 'the server to print its port' },
  );
  return { out, port: Number(listening[1]), stop };
}

async function join(
  port: number,
  username: string,
  more: Partial<Parameters<typeof connect>[0]> = {},
): Promise<GameClient> {
  const client = await connect({ host: '127.0.0.1', port, username, ...more });
  cleanup.push(() => client.close());
  return client;
}

describe('game-network server --rooms, in process', () => {
  it('logs each room made, its lines after its id, and its end with the reason', async () => {
    const { out, port, stop } = await startServer(
      serverOptions({ create: 2, mode: 'ctf', emptyTimeoutMs: 200 }),
    );
    const log = (): string => out.stdout.text;
    expect(log()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} room room-1 made: mode ctf, 4 slots$/m);
    expect(log()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} room room-2 made: mode ctf, 4 slots$/m);
    expect(log()).toMatch(
      /^listening tcp .* \(60 Hz, up to 4 players a room, 2-byte inputs\); rooms mode: 2 rooms made \(room-1 to room-2, mode ctf\), join-or-create on \(a room it makes ends once empty for 0\.2 s\); Ctrl-C to stop$/m,
    );
    // The rooms made at start come before the listening line: a bot may join them at once.
    expect(log().indexOf('room room-2 made')).toBeLessThan(log().indexOf('listening'));

    // By id: its lines carry the room's id.
    const ann = await join(port, 'ann', { room: 'room-1' });
    ann.sendChat('hi');
    ann.sendInput(new Uint8Array(2));
    await waitFor(() => log().includes('[room-1] chat ann: hi'), { message: "ann's chat line" });
    expect(log()).toMatch(
      / \[room-1\] join ann \(player 0\) at tick \d+\n.* \[room-1\] chat ann: hi\n/,
    );

    // Join-or-create: a room made for it, then ended once empty.
    const bob = await join(port, 'bob', { match: { mode: 'duel', size: 2 } });
    const id = bob.room!;
    expect(id).toMatch(/^r-/);
    bob.sendInput(new Uint8Array(2));
    await waitFor(() => log().includes(`[${id}] join bob (player 0)`), { message: "bob's join" });
    expect(log()).toContain(`room ${id} made: mode duel, 2 slots\n`);
    await bob.close();
    await waitFor(() => log().includes(`room ${id} ended: empty\n`), {
      message: `room ${id} ending once empty`,
    });
    expect(log()).toMatch(
      new RegExp(` \\[${id}\\] leave bob \\(player 0\\) at tick \\d+: left\\n`),
    );
    expect(log().indexOf(`[${id}] leave bob`)).toBeLessThan(log().indexOf(`room ${id} ended`));

    // Larger than --max-players: refused, and the server says so.
    await expect(join(port, 'cid', { match: { mode: 'big', size: 5 } })).rejects.toMatchObject({
      reason: 'room-refused',
    });
    await waitFor(() => log().includes('warning join-refused: join refused: room-refused'));

    // Closing ends every room, each with its line.
    expect(await stop()).toBe(0);
    const tail = log().slice(log().indexOf(' closing\n'));
    expect(tail).toMatch(/ room room-1 ended: server-closing\n/);
    expect(tail).toMatch(/ room room-2 ended: server-closing\n/);
    expect(tail).toMatch(/ closed\n$/);
  }, 20_000);

  it('--rooms alone makes no room at start: a bot by id is refused, join-or-create is not', async () => {
    const { out, port } = await startServer(
      serverOptions({ create: 0, mode: 'default', emptyTimeoutMs: 30_000 }),
    );
    expect(out.stdout.text).toMatch(/; rooms mode: 0 rooms made, join-or-create on /);
    expect(out.stdout.text).not.toMatch(/ room \S+ made/);
    await expect(join(port, 'ann')).rejects.toMatchObject({ reason: 'room-not-found' });
    const bob = await join(port, 'bob', { match: { mode: 'default', size: 4 } });
    expect(bob.room).toMatch(/^r-/);
    expect(out.stdout.text).toContain(`room ${bob.room} made: mode default, 4 slots\n`);
  }, 15_000);

  it('without --rooms: one match, no room lines and no prefix', async () => {
    const { out, port, stop } = await startServer(serverOptions(undefined));
    expect(out.stdout.text).toMatch(/\(60 Hz, up to 4 players, 2-byte inputs\); Ctrl-C to stop\n$/);
    const ann = await join(port, 'ann');
    ann.sendInput(new Uint8Array(2));
    await waitFor(() => / join ann \(player 0\) at tick \d+\n/.test(out.stdout.text));
    await expect(join(port, 'bob', { match: { mode: 'x', size: 2 } })).rejects.toMatchObject({
      reason: 'room-refused',
    });
    expect(await stop()).toBe(0);
    expect(out.stdout.text).not.toMatch(/ room |\[/);
  }, 15_000);
});

describe('game-network bot --list-rooms, in process', () => {
  const list = (port: number, listRooms: { mode?: string; size?: number } = {}) => {
    const out = io();
    return runListRooms(
      { host: '127.0.0.1', port, name: 'lister', password: '', listRooms },
      out,
    ).then((code) => ({ code, stdout: out.stdout.text, stderr: out.stderr.text }));
  };

  it('prints the open rooms as a table (or says there are none) and exits 0', async () => {
    const server = await createServer({ host: '127.0.0.1', maxPlayers: 4, rooms: {} });
    cleanup.push(() => server.close());
    const port = server.address.tcpPort;
    expect(await list(port)).toEqual({
      code: 0,
      stdout: `no open rooms on 127.0.0.1:${port}\n`,
      stderr: '',
    });
    await createListedRooms(server);
    await join(port, 'ann', { room: 'desert' });

    const all = await list(port);
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('');
    expect(all.stdout).toBe(
      `3 open rooms on 127.0.0.1:${port}:\n` +
        'room    mode   players  metadata\n' +
        'castle  ctf        0/4  map=castle ranked=true\n' +
        'desert  ctf        1/2\n' +
        'lobby   chill      0/4\n',
    );
    const ctf = await list(port, { mode: 'ctf', size: 2 });
    expect(ctf.stdout).toBe(
      `1 open room of mode ctf with 2 slots on 127.0.0.1:${port}:\n` +
        'room    mode  players  metadata\n' +
        'desert  ctf       1/2\n',
    );
    expect((await list(port, { mode: 'duel' })).stdout).toBe(
      `no open rooms of mode duel on 127.0.0.1:${port}\n`,
    );
  }, 15_000);

  it('a server that cannot be reached: exit 1 and why, on stderr', async () => {
    // A port nobody listens on: a server started and closed.
    const server = await createServer({ host: '127.0.0.1' });
    const port = server.address.tcpPort;
    await server.close();
    const result = await list(port);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^game-network bot: cannot list the rooms of 127\\.0\\.0\\.1:${port}: .+\\n$`),
    );
  }, 15_000);
});
