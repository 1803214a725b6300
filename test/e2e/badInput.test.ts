import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { encode } from '@msgpack/msgpack';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinRefusedError,
  connect,
  createServer,
  type GameServer,
  type NetworkEvent,
  type WarningEvent,
} from '../../src/node.js';
import { connectReady } from '../helpers/players.js';
import {
  MessageType,
  PROTOCOL_VERSION,
  encodeInputsPacket,
  encodeMessage,
} from '../../src/protocol/index.js';
import { frameMessage } from '../../src/sources/fromTcpSocket.js';
import { rawJoin } from '../helpers/rawPlayer.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup() {
  const server = await createServer({
    host: '127.0.0.1',
    tickRate: 100,
    inputSize: 2,
    maxPlayers: 4,
    authenticate: ({ password }) => password === 'secret',
  });
  open.push(server);
  const events: NetworkEvent[] = [];
  server.events$.subscribe((e) => events.push(e));
  const a = await connectReady({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username: 'ann',
    password: 'secret',
  });
  const b = await connectReady({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username: 'bob',
    password: 'secret',
  });
  open.push(a, b);
  return { server, events, a, b };
}

function warnings(events: NetworkEvent[], code: string): WarningEvent[] {
  return events.filter((e): e is WarningEvent => e.type === 'warning' && e.code === code);
}

/** Plays `n` ticks with both clients and waits until both have every frame of them. */
async function play(
  a: Awaited<ReturnType<typeof setup>>['a'],
  b: typeof a,
  n: number,
): Promise<void> {
  const target = Math.max(a.startTick + a.inputsSent, b.startTick + b.inputsSent) + n - 1;
  const done = Promise.all(
    [a, b].map((c) => firstValueFrom(c.frames$.pipe(filter((f) => f.tick >= target)))),
  );
  for (let i = 0; i < n; i++) {
    a.sendInput(Uint8Array.of(1, i));
    b.sendInput(Uint8Array.of(2, i));
  }
  await done;
}

function udpSocket(): dgram.Socket {
  const s = dgram.createSocket('udp4');
  open.push(s);
  return s;
}

async function tcpTo(server: GameServer): Promise<net.Socket> {
  const s = net.connect(server.address.tcpPort, '127.0.0.1');
  open.push({ close: () => s.destroy() });
  await new Promise((r) => s.once('connect', r));
  s.resume(); // read what the server answers, so its end (and close) is seen
  return s;
}

describe('bad input from the network', () => {
  it('random, truncated and oversized datagrams and forged tokens are warned about and change nothing', async () => {
    const { server, events, a, b } = await setup();
    await play(a, b, 10);
    const stranger = udpSocket();
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', r));
    const port = server.address.udpPort;
    // From an address that never joined: random bytes (their first four a token nobody was
    // given) and one datagram over the size limit. None is decoded; each is warned about.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const lengths = Array.from({ length: 20 }, (_, i) => 1 + ((i * 13) % 200));
    for (const n of lengths) stranger.send(Uint8Array.from({ length: n }, rnd), port, '127.0.0.1');
    stranger.send(new Uint8Array(1500).fill(0x47), port, '127.0.0.1');
    const short = lengths.filter((n) => n < 20).length; // token, counter and tag: 20 bytes
    await waitFor(
      () =>
        warnings(events, 'decode-error').length === short + 1 &&
        warnings(events, 'unknown-sender').length === lengths.length - short,
    );
    // From a player's own address with its own token: garbage, a truncated real packet, an
    // oversized message and wrong types inside a valid envelope are decode errors, its own.
    const cid = await rawJoin(server, 'cid', 'secret');
    open.push(cid);
    const own = udpSocket();
    await new Promise<void>((r) => own.bind(0, '127.0.0.1', r));
    const ctx = { inputSize: 2, maxPlayers: 4 };
    const inputs = (firstTick: number, input: Uint8Array) =>
      encodeInputsPacket(
        {
          type: MessageType.Inputs,
          seq: 0,
          sentAt: 0,
          frameAck: -1,
          rxLoss: 0,
          checksums: [],
          firstTick,
          inputs: [input],
        },
        ctx,
      ).bytes;
    const real = inputs(cid.startTick, Uint8Array.of(6, 6));
    const before = warnings(events, 'decode-error').length;
    for (const n of [1, 17, 200]) cid.sendFrom(own, Uint8Array.from({ length: n }, rnd));
    cid.sendFrom(own, real.subarray(0, real.length - 2));
    cid.sendFrom(own, new Uint8Array(1300).fill(0x47));
    cid.sendFrom(
      own,
      Uint8Array.from([
        0x47,
        0x4e,
        PROTOCOL_VERSION,
        ...encode([20, 'seq', 0, 0, 0, 1, new Uint8Array(3)]),
      ]),
    );
    await waitFor(() => warnings(events, 'decode-error').length === before + 6);
    expect(
      warnings(events, 'decode-error')
        .slice(before)
        .every((w) => w.playerId === cid.accepted.playerId),
    ).toBe(true);
    // A forgery: cid's real token without its key, from another socket once its own port is known.
    cid.sendForged(stranger, real);
    await waitFor(() => warnings(events, 'bad-datagram').length >= 1);
    // cid leaves; the game goes on, unchanged: nobody was dropped, the forged input is in no
    // frame, and the only leave is cid's own.
    cid.tcp.write(frameMessage(encodeMessage({ type: MessageType.Leave })));
    await waitFor(() => server.players.length === 2);
    const frames = firstValueFrom(a.frames$.pipe(take(5), toArray()));
    await play(a, b, 5);
    for (const f of await frames) {
      expect(f.inputs[a.playerId]?.[0]).toBe(1);
      expect(f.inputs[cid.accepted.playerId] ?? null).toBeNull();
      for (const l of f.left ?? []) expect(l).toMatchObject({ username: 'cid', reason: 'left' });
    }
    expect(events.filter((e) => e.type === 'drop')).toEqual([]);
  });

  it('a 4 GB TCP length prefix closes that connection only, with a typed warning', async () => {
    const { server, events, a, b } = await setup();
    const s = await tcpTo(server);
    const closed = new Promise((r) => s.once('close', r));
    s.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3));
    await closed;
    await waitFor(() => warnings(events, 'message-too-large').length === 1);
    await play(a, b, 5);
  });

  it('garbage and truncated TCP messages are refused; a wrong password is refused and reported', async () => {
    const { server, events, a, b } = await setup();
    // Garbage in place of a join request: refused (bad-request), connection closed.
    const s = await tcpTo(server);
    const closed = new Promise((r) => s.once('close', r));
    s.write(frameMessage(Uint8Array.of(1, 2, 3, 4, 5)));
    await closed;
    expect(warnings(events, 'decode-error')).toHaveLength(1);
    // A truncated message, then the connection closes.
    const t = await tcpTo(server);
    t.end(Uint8Array.of(0, 0, 0, 10, 0x47, 0x4e));
    await waitFor(() => warnings(events, 'socket-error').length === 1);
    // Wrong password.
    await expect(
      connect({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username: 'eve',
        password: 'guess',
      }),
    ).rejects.toEqual(new JoinRefusedError('bad-credentials'));
    expect(warnings(events, 'join-refused').map((w) => w.message)).toContain(
      'join refused: bad-credentials',
    );
    // A taken name.
    await expect(
      connect({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username: 'ANN',
        password: 'secret',
      }),
    ).rejects.toMatchObject({ reason: 'duplicate-name' });
    await play(a, b, 5);
    expect(server.players.map((p) => p.username).sort()).toEqual(['ann', 'bob']);
  });

  it('a second join on the same connection is warned about and ignored', async () => {
    const { server, events, a, b } = await setup();
    const s = await tcpTo(server);
    const join = encodeMessage({
      type: MessageType.Join,
      protocolVersion: PROTOCOL_VERSION,
      username: 'cid',
      password: 'secret',
    });
    const answers: number[] = [];
    s.on('data', (d: Buffer) => answers.push(d.length));
    s.write(frameMessage(join));
    await waitFor(() => answers.length > 0); // JoinAccepted: a seat is held; then ready
    s.write(frameMessage(encodeMessage({ type: MessageType.Ready })));
    await waitFor(() => server.players.length === 3);
    s.write(frameMessage(join));
    await waitFor(() => warnings(events, 'unexpected-message').length === 1);
    expect(server.players.map((p) => p.username).sort()).toEqual(['ann', 'bob', 'cid']);
    // cid sends no UDP: nobody waits for it in this test, so end it cleanly.
    s.end(frameMessage(encodeMessage({ type: MessageType.Leave })));
    await waitFor(() => server.players.length === 2);
    await play(a, b, 5);
  });

  it('refuses a join from another protocol version', async () => {
    const { server } = await setup();
    const s = await tcpTo(server);
    const join = encodeMessage({
      type: MessageType.Join,
      protocolVersion: PROTOCOL_VERSION,
      username: 'old',
      password: 'secret',
    });
    join[2] = 99; // header version
    const got = new Promise<Buffer>((r) => s.once('data', r));
    s.write(frameMessage(join));
    const answer = await got;
    const { decodeServerTcp } = await import('../../src/protocol/index.js');
    expect(decodeServerTcp(answer.subarray(4))).toEqual({
      type: MessageType.JoinRefused,
      reason: 'version-mismatch',
    });
  });
});

describe('bounds', () => {
  it('closes connections beyond maxPendingJoins at once, and the game goes on', async () => {
    const server = await createServer({ host: '127.0.0.1', maxPendingJoins: 3 });
    open.push(server);
    const events: NetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const sockets = await Promise.all([0, 1, 2, 3, 4].map(() => tcpTo(server)));
    await waitFor(() => warnings(events, 'buffer-full').length === 2);
    // The two beyond the bound are closed by the server; the three others are held.
    await waitFor(() => sockets.filter((s) => s.closed).length === 2);
    sockets.forEach((s) => s.destroy());
    // Once the server has seen them go, a real player joins.
    const c = await waitFor(() =>
      connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ok' }).catch(
        () => false as const,
      ),
    );
    open.push(c);
    expect(c.playerId).toBe(0);
  });
});

describe('after a player leaves', () => {
  it('its datagrams still in flight are dropped quietly, not reported as unknown', async () => {
    const server = await createServer({
      host: '127.0.0.1',
      tickRate: 100,
      conditioner: { delayMs: 40 },
    });
    open.push(server);
    const events: NetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const a = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
    const b = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'bob' });
    open.push(b);
    for (let i = 0; i < 5; i++) a.sendInput(Uint8Array.of(0, i));
    // Let the datagrams leave the socket (one event-loop turn), then ann leaves over TCP at
    // once: its datagrams reach the server (through the 40 ms delay) after its leave.
    await new Promise((r) => setImmediate(r));
    await a.close();
    // Wait past the delay: every in-flight datagram of ann's has arrived by then.
    const later = firstValueFrom(b.frames$.pipe(filter((f) => f.tick >= b.startTick + 10)));
    const left = firstValueFrom(server.players$.pipe(filter((e) => e.type === 'leave')));
    const sub = b.frames$.subscribe(() => b.sendInput(Uint8Array.of(1, 1)));
    b.sendInput(Uint8Array.of(1, 1));
    await later;
    await left;
    // And then long enough for the 40 ms delayed datagrams to be in.
    await firstValueFrom(b.frames$.pipe(filter((f) => f.tick >= b.startTick + 30)));
    sub.unsubscribe();
    expect(warnings(events, 'unknown-sender')).toEqual([]);
    expect(warnings(events, 'bad-token')).toEqual([]);
  });
});
