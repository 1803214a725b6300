// Bench: the client's receive path in one process, no network: a Frames datagram through a real GameClient, and a late joiner's catch-up (issue 19).
//
//   npx tsx bench/clientDecode.ts [rounds=15]
//   CLIENT_DECODE_BASE=/path/to/other/checkout npx tsx bench/clientDecode.ts
//   CLIENT_DECODE_ONLY='client   128' npx tsx bench/clientDecode.ts   (the cases whose name has it)
//
// With CLIENT_DECODE_BASE, the same cases run on that checkout's client and decoder too
// (its src/, say a `git archive` of an older commit with node_modules linked), round for
// round interleaved with this one's, so that both see the same machine load: a before and
// after in one run. The packets are encoded by this checkout (the wire format is the same).
//
// Deterministic input: every slot's inputs come from bench/common.ts's held-button
// controller (the bots' pattern), seeded by slot. For 128 and 256 players it times, per
// Frames packet, the decode alone (`decodeServerUdp` from the tick after the last frame
// held, as the client calls it) and the whole path of a GameClient (the datagram on its
// channel, the decode, the link's bookkeeping, the frame delivery, `frames$`), for a packet
// with 1 new frame and one with 8 frames of which 7 are held already (every packet repeats
// the frames the server has not seen acknowledged). And, per catch-up of 600 frames of 256
// players (the CatchUp messages of the reliable channel), the decode alone and the whole
// path. Each figure is the process's CPU time (user + system, the GC's threads included)
// per packet or per catch-up, in us: the best of `rounds` rounds (the machine is shared: the
// best is the least disturbed) and their median; and the median of the time the garbage
// collector paused the program per call (of the GC entries that started in a round).
import { Subject } from 'rxjs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GameClient } from '../src/client/GameClient.js';
import {
  MessageType,
  encodeCatchUp,
  encodeFramesPacket,
  encodeMessage,
  type CodecContext,
  type JoinAccepted,
} from '../src/protocol/index.js';
import type { DatagramChannel, TransportPeer } from '../src/transport/Transport.js';
import type { ConfirmedFrame } from '../src/types.js';
import { INPUT_SIZE, createController } from './common.js';

const rounds = Number(process.argv[2] ?? 15);

/** What the bench runs of one checkout: its client and its decoders. */
interface Variant {
  readonly name: string;
  readonly GameClient: typeof GameClient;
  readonly resolveConnectOptions: typeof import('../src/client/options.js').resolveConnectOptions;
  readonly decodeServerUdp: typeof import('../src/protocol/index.js').decodeServerUdp;
  readonly decodeServerTcp: typeof import('../src/protocol/index.js').decodeServerTcp;
}

/** The client and decoders of the checkout at `root`. */
async function load(name: string, root: string): Promise<Variant> {
  const url = (file: string): string => pathToFileURL(path.join(root, file)).href;
  const client = (await import(url('src/client/GameClient.ts'))) as {
    GameClient: typeof GameClient;
  };
  const options = (await import(
    url('src/client/options.ts')
  )) as typeof import('../src/client/options.js');
  const protocol = (await import(
    url('src/protocol/index.ts')
  )) as typeof import('../src/protocol/index.js');
  return {
    name,
    GameClient: client.GameClient,
    resolveConnectOptions: options.resolveConnectOptions,
    decodeServerUdp: protocol.decodeServerUdp,
    decodeServerTcp: protocol.decodeServerTcp,
  };
}

/** `count` frames of `players` slots from tick 0, every slot held-button inputs. */
function framesOf(players: number, count: number): ConfirmedFrame[] {
  const controllers = Array.from({ length: players }, (_, slot) =>
    createController('held', 1000 + slot),
  );
  return Array.from({ length: count }, (_, tick) => ({
    tick,
    inputs: controllers.map((next) => next()),
  }));
}

/** Frames packets for ticks 0 .. ticks-1, each with the new tick and up to `held` before it. */
function packetsOf(
  frames: readonly ConfirmedFrame[],
  held: number,
  ctx: CodecContext,
): Uint8Array[] {
  return frames.map((_, t) => {
    const from = Math.max(0, t - held);
    return encodeFramesPacket(
      {
        type: MessageType.Frames,
        seq: t & 127,
        echoSentAt: t & 0xffff,
        echoDelayMs: 1,
        inputAck: -1,
        rxLoss: 0,
        checksumAck: -1,
        inputLead: 0,
        frames: frames.slice(from, t + 1),
      },
      ctx,
    ).bytes;
  });
}

/** The CatchUp messages that carry `frames`, in order. */
function catchUpOf(frames: readonly ConfirmedFrame[], ctx: CodecContext): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < frames.length;) {
    const { bytes, count } = encodeCatchUp(frames.slice(at), ctx);
    out.push(bytes);
    at += count;
  }
  return out;
}

/** A session on a fake peer: the bench pushes into its channels, and counts its frames. */
interface Session {
  readonly client: GameClient;
  readonly messages: Subject<Uint8Array>;
  readonly datagrams: Subject<Uint8Array>;
  readonly delivered: () => number;
}

/** A GameClient of `v` in a match of `players` slots, on a peer whose channels are subjects. */
async function sessionOf(v: Variant, players: number): Promise<Session> {
  const messages = new Subject<Uint8Array>();
  const datagrams = new Subject<Uint8Array>();
  const channel: DatagramChannel = { datagrams$: datagrams, send: () => {}, close: () => {} };
  const peer: TransportPeer = {
    remoteAddress: 'bench',
    messages: {
      messages$: messages,
      send: () => true,
      end: () => {},
      destroy: () => {},
      bufferedBytes: 0,
    },
    openDatagrams: () => Promise.resolve(channel),
    signal: () => {},
    warnings$: new Subject(),
  };
  const accepted: JoinAccepted = {
    type: MessageType.JoinAccepted,
    playerId: 0,
    tickRate: 60,
    inputSize: INPUT_SIZE,
    maxPlayers: players,
    reconnectToken: new Uint8Array(16),
    firstTick: 0,
    players: [],
  };
  const options = v.resolveConnectOptions({
    host: '127.0.0.1',
    port: 1,
    username: 'bench',
    statsIntervalMs: 60_000,
  });
  const client = new v.GameClient(peer, accepted, options, () => Promise.reject(new Error('no')));
  // connect reads the reliable channel through the handshake; here the bench hands the
  // messages straight to the connection.
  messages.subscribe((bytes) => client.connection.onMessage(bytes));
  await client.opened;
  let n = 0;
  client.frames$.subscribe(() => n++); // as a bot counts its frames
  return { client, messages, datagrams, delivered: () => n };
}

/** One case: what is timed, and how many times a round. */
interface Case {
  readonly name: string;
  /** Calls per round. */
  readonly calls: number;
  /** Made before the rounds, once per variant and round (not timed). */
  readonly setup: (v: Variant) => Promise<unknown>;
  /** One call (`i` in 0 .. calls - 1) with what `setup` made for this round. */
  readonly run: (v: Variant, made: unknown, i: number) => void;
  /** Checks what a round did, and frees what it holds (not timed). */
  readonly done?: (made: unknown) => Promise<void>;
}

/** The figures of one variant in one case, per call (us). */
interface Figures {
  readonly cpu: number[];
  /** When each round ran (performance.now()), to add up the GC pauses in it. */
  readonly windows: [number, number][];
}

/** Every GC pause seen: start and duration (ms). */
const gcPauses: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });

async function measure(c: Case, variants: readonly Variant[]): Promise<Figures[]> {
  const out: Figures[] = variants.map(() => ({ cpu: [], windows: [] }));
  // A warm-up round, then `rounds` rounds, each variant in turn (the first alternating).
  for (let r = 0; r <= rounds; r++) {
    const order = variants.map((_, k) => (k + r) % variants.length);
    for (const k of order) {
      const v = variants[k];
      const made = await c.setup(v);
      const w0 = performance.now();
      const t0 = process.cpuUsage();
      for (let i = 0; i < c.calls; i++) c.run(v, made, i);
      const t = process.cpuUsage(t0);
      const w1 = performance.now();
      await c.done?.(made);
      if (r > 0) {
        out[k].cpu.push((t.user + t.system) / c.calls);
        out[k].windows.push([w0, w1]);
      }
    }
  }
  return out;
}

/** The median over rounds of the GC pause time per call (us) in `windows`. */
function gcPerCall(windows: readonly [number, number][], calls: number): number {
  return median(
    windows.map(([from, to]) => {
      let ms = 0;
      for (const [at, d] of gcPauses) if (at >= from && at < to) ms += d;
      return (ms * 1000) / calls;
    }),
  );
}

function cases(): Case[] {
  const TICKS = 3000;
  const out: Case[] = [];
  for (const players of [128, 256]) {
    const ctx: CodecContext = { inputSize: INPUT_SIZE, maxPlayers: players };
    const frames = framesOf(players, TICKS);
    for (const held of [0, 7]) {
      const packets = packetsOf(frames, held, ctx);
      const label = `${players} players, ${held + 1} frame${held ? 's (7 held)' : ''}`;
      out.push({
        name: `decode   ${label}`,
        calls: TICKS,
        setup: () => Promise.resolve(undefined),
        // From the tick after the last frame held, as the client decodes them.
        run: (v, _, t) => v.decodeServerUdp(packets[t], ctx, t),
      });
      out.push({
        name: `client   ${label}`,
        calls: TICKS,
        setup: (v) => sessionOf(v, players),
        run: (_, s, t) => (s as Session).datagrams.next(packets[t]),
        done: async (s) => {
          const { client, delivered } = s as Session;
          if (delivered() !== TICKS) throw new Error(`${delivered()} frames delivered`);
          await client.close();
        },
      });
    }
  }
  const players = 256;
  const ctx: CodecContext = { inputSize: INPUT_SIZE, maxPlayers: players };
  const messages = catchUpOf(framesOf(players, 600), ctx);
  const caughtUp = encodeMessage({ type: MessageType.CaughtUp, tick: 600 });
  out.push({
    name: `decode   catch-up 600 frames x 256 players (${messages.length} messages)`,
    calls: 1,
    setup: () => Promise.resolve(undefined),
    run: (v) => {
      for (const m of messages) v.decodeServerTcp(m, ctx);
    },
  });
  out.push({
    name: 'client   catch-up 600 frames x 256 players',
    calls: 1,
    setup: (v) => sessionOf(v, players),
    run: (_, s) => {
      for (const m of messages) (s as Session).messages.next(m);
      (s as Session).messages.next(caughtUp);
    },
    done: async (s) => {
      const { client, delivered } = s as Session;
      if (delivered() !== 600) throw new Error(`${delivered()} frames delivered`);
      await client.close();
    },
  });
  return out;
}

function best(xs: readonly number[]): number {
  return Math.min(...xs);
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

async function main(): Promise<void> {
  const variants = [await load('this', path.join(import.meta.dirname, '..'))];
  const base = process.env.CLIENT_DECODE_BASE;
  if (base) variants.unshift(await load('base', path.resolve(base)));
  const cols = variants.map((v) => `${v.name}: cpu best / median (gc)`.padStart(34)).join('');
  console.log(`${'case (us per call)'.padEnd(60)}${cols}`);
  const only = process.env.CLIENT_DECODE_ONLY;
  for (const c of cases()) {
    if (only !== undefined && !c.name.includes(only)) continue;
    const figures = await measure(c, variants);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the last GC entries
    const row = figures
      .map((f) => {
        const gc = gcPerCall(f.windows, c.calls);
        return `${best(f.cpu).toFixed(2)} / ${median(f.cpu).toFixed(2)} (${gc.toFixed(2)})`;
      })
      .map((text) => text.padStart(34))
      .join('');
    console.log(`${c.name.padEnd(60)}${row}`);
  }
}

await main();
