/**
 * Shared set-up for tests of whole matches over real sockets: a client that is ready (seated)
 * before the test goes on, the README's world (`scan(step, initialWorld)`) with a checksum,
 * a bot that keeps a player's inputs a few ticks ahead of its frames, and a transport wrapper
 * that can block a client's datagrams or cut its TCP connection.
 *
 * @example
 * const ann = await connectReady({ host, port, username: 'ann' });
 * const bot = playBot(ann); // inputs on, a world folded over frames$
 * await waitFor(() => bot.world.tick >= 600);
 * bot.stop();
 */
import { Observable, scan } from 'rxjs';
import {
  connect,
  nodeTransport,
  type ConfirmedFrame,
  type ConnectOptions,
  type DatagramChannel,
  type GameClient,
  type Transport,
  type TransportPeer,
} from '../../src/node.js';

/** Connects, says ready, and resolves once the player is seated (`startTick` known). */
export async function connectReady(options: ConnectOptions): Promise<GameClient> {
  const client = await connect(options);
  client.ready();
  await client.seated;
  return client;
}

/** The README's world: every input folded into a checksum, with who is in. */
export interface World {
  /** The last frame applied. */
  readonly tick: number;
  /** FNV-1a over every tick, slot, input byte, join, leave and substitution so far. */
  readonly checksum: number;
  readonly players: readonly string[];
}

/** The world before the match's first frame. */
export const initialWorld: World = { tick: -1, checksum: 0x811c9dc5, players: [] };

function mix(h: number, byte: number): number {
  return Math.imul(h ^ (byte & 0xff), 0x01000193) >>> 0;
}

/** One frame of the game: deterministic, the same on every client. */
export function step(world: World, frame: ConfirmedFrame): World {
  let h = mix(world.checksum, frame.tick);
  frame.inputs.forEach((input, slot) => {
    if (input === null) return;
    h = mix(h, slot);
    for (const b of input) h = mix(h, b);
  });
  let players = world.players;
  for (const p of frame.joined ?? []) {
    players = [...players, p.username];
    for (let i = 0; i < p.username.length; i++) h = mix(h, p.username.charCodeAt(i));
  }
  for (const p of frame.left ?? []) {
    players = players.filter((name) => name !== p.username);
    h = mix(h, 0xee);
  }
  for (const slot of frame.substituted ?? []) h = mix(mix(h, 0x5b), slot);
  return { tick: frame.tick, checksum: h, players };
}

/** A player's input for a tick: its slot and the tick. */
export function botInput(playerId: number, tick: number): Uint8Array {
  return Uint8Array.of(playerId, tick & 0xff);
}

/** A bot: its world, the checksum after each tick, when each frame came. */
export interface Bot {
  world: World;
  /** The checksum after each tick, by tick. */
  readonly checksums: Map<number, number>;
  /** The frames' ticks, in delivery order. */
  readonly ticks: number[];
  /** The longest wait between two frames delivered after the catch-up, in ms. */
  longestGapMs(): number;
  /** Inputs on or off (a player that stops playing but stays connected). */
  paused: boolean;
  stop(): void;
}

/**
 * Folds `client.frames$` into the README world (from `from`: a snapshot's world, say) and,
 * once seated, keeps its inputs `lead` ticks ahead of its last frame (every 2 ms), each
 * `input(playerId, tick)` (default `botInput`).
 */
export function playBot(
  client: GameClient,
  lead = 6,
  from: World = initialWorld,
  input: (playerId: number, tick: number) => Uint8Array = botInput,
): Bot {
  const checksums = new Map<number, number>();
  const ticks: number[] = [];
  const arrivals: number[] = [];
  let seated = false;
  void client.seated.then(() => (seated = true));
  const bot: Bot = {
    world: from,
    checksums,
    ticks,
    paused: false,
    longestGapMs: () => {
      let gap = 0;
      for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i] - arrivals[i - 1]);
      return gap;
    },
    stop: () => {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
  const sub = client.frames$.pipe(scan(step, from)).subscribe((world) => {
    bot.world = world;
    checksums.set(world.tick, world.checksum);
    ticks.push(world.tick);
    if (!client.catchingUp) arrivals.push(performance.now());
  });
  const timer = setInterval(() => {
    if (!seated || bot.paused) return;
    let next = client.startTick + client.inputsSent;
    while (next <= Math.max(client.lastFrameTick, client.startTick) + lead) {
      client.sendInput(input(client.playerId, next));
      const after = client.startTick + client.inputsSent;
      if (after === next) break; // refused (window full)
      next = after;
    }
  }, 2);
  return bot;
}

/** A transport whose clients' datagrams can be blocked, and their TCP connections cut. */
export interface FlakyTransport extends Transport {
  /** Drops every datagram in both directions while true. */
  blocked: boolean;
  /** Destroys the reliable connection of the newest peer. */
  cut(): void;
  /** How many connections were made. */
  readonly connections: number;
}

/** What {@link tapDatagrams} is told of each client connection and its datagrams. */
export interface DatagramTap {
  /** A client peer was connected. */
  readonly connected?: (peer: TransportPeer) => void;
  /** A datagram the client received: passed on to it if this gives true. */
  readonly received: (data: Uint8Array) => boolean;
  /** A datagram the client sends: sent if this gives true. */
  readonly send: (data: Uint8Array) => boolean;
}

/** `base` with every client connection's datagram channel seen (and filtered) by `tap`. */
export function tapDatagrams(base: Transport, tap: DatagramTap): Transport {
  return {
    listen: (options) => base.listen(options),
    connect: async (options) => {
      const peer = await base.connect(options);
      tap.connected?.(peer);
      return {
        remoteAddress: peer.remoteAddress,
        messages: peer.messages,
        warnings$: peer.warnings$,
        signal: (data) => peer.signal(data),
        openDatagrams: async (signal) => {
          const channel = await peer.openDatagrams(signal);
          const wrapped: DatagramChannel = {
            datagrams$: new Observable<Uint8Array>((subscriber) =>
              channel.datagrams$.subscribe({
                next: (d) => {
                  if (tap.received(d)) subscriber.next(d);
                },
                error: (e: unknown) => subscriber.error(e),
                complete: () => subscriber.complete(),
              }),
            ),
            send: (data) => {
              if (tap.send(data)) channel.send(data);
            },
            close: () => channel.close(),
            path: channel.path,
          };
          return wrapped;
        },
      };
    },
  };
}

/** The Node transport, with a switch on datagrams and a cutter for TCP. */
export function flakyTransport(base: Transport = nodeTransport): FlakyTransport {
  let last: TransportPeer | undefined;
  let connections = 0;
  const flaky: FlakyTransport = {
    blocked: false,
    get connections() {
      return connections;
    },
    cut: () => last?.messages.destroy(),
    ...tapDatagrams(base, {
      connected: (peer) => {
        connections += 1;
        last = peer;
      },
      received: () => !flaky.blocked,
      send: () => !flaky.blocked,
    }),
  };
  return flaky;
}
