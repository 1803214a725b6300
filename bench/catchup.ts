// Bench: a late joiner's catch-up of 10 minutes of an 8-player match at 60 Hz (36,000 frames) over loopback.
//
//   npx tsx bench/catchup.ts            (or: '{"frames":36000,"pattern":"held","reps":3}')
//
// A real server (Node transport, TCP + UDP on 127.0.0.1) whose match has confirmed `frames`
// frames of 8 players (held-button or random inputs, as bench/common.ts makes them); then a
// real client joins and we time `connect` to `caughtUp` (every frame delivered on `frames$`),
// and count the bytes of the reliable channel the catch-up took.
//
// Measured (2 shared cores, Node 22, best of 3): held-button inputs 36,000 frames in ~90 ms
// (~400,000 frames/s), 2.7 bytes per frame on the reliable channel (97 KB in 9 CatchUp
// messages); random inputs (a new value every tick for every player: the worst case)
// ~95 ms (~380,000 frames/s), 17.1 bytes per frame (617 KB).
import { performance } from 'node:perf_hooks';
import {
  connect,
  createServer,
  nodeTransport,
  type ConfirmedFrame,
  type Transport,
} from '../src/node.js';
import type { Match } from '../src/match/Match.js';
import { createController, type InputPattern } from './common.js';

interface CatchUpConfig {
  readonly frames: number;
  readonly pattern: InputPattern;
  readonly reps: number;
}

interface CatchUpRun {
  /** From `connect` to `caughtUp`: the join, the transfer, the decoding, `frames$`. */
  readonly ms: number;
  readonly framesPerSec: number;
  /** Bytes of the reliable channel from the server to the client (messages, not framing). */
  readonly tcpBytes: number;
  readonly bytesPerFrame: number;
  readonly messages: number;
}

const PLAYERS = 8;

/** A transport that counts the bytes of the messages the client receives. */
function countingTransport(counter: { bytes: number; messages: number }): Transport {
  return {
    listen: (options) => nodeTransport.listen(options),
    connect: async (options) => {
      const peer = await nodeTransport.connect(options);
      const messages = peer.messages;
      const counted = {
        get messages$() {
          return messages.messages$;
        },
        send: (m: Uint8Array) => messages.send(m),
        end: () => messages.end(),
        destroy: () => messages.destroy(),
        get bufferedBytes() {
          return messages.bufferedBytes;
        },
      };
      messages.messages$.subscribe((m) => {
        counter.bytes += m.length;
        counter.messages += 1;
      });
      return {
        ...peer,
        messages: counted,
        openDatagrams: (s) => peer.openDatagrams(s),
        signal: (d) => peer.signal(d),
      };
    },
  };
}

async function runOnce(config: CatchUpConfig): Promise<CatchUpRun> {
  const server = await createServer({ host: '127.0.0.1', tickRate: 60, maxPlayers: PLAYERS + 1 });
  try {
    // The match, confirmed up to `frames` ticks as if 8 players had played it (no sockets:
    // the bench measures the catch-up, not the play).
    const match = (server as unknown as { match: Match }).match;
    const controllers = Array.from({ length: PLAYERS }, (_, i) =>
      createController(config.pattern, 1000 + i),
    );
    for (let p = 0; p < PLAYERS; p++) match.join(`bot${p}`);
    for (let t = 0; t < config.frames; t++)
      for (let p = 0; p < PLAYERS; p++) match.input(p, t, controllers[p]());
    if (match.head !== config.frames) throw new Error(`match at ${match.head}`);

    const counter = { bytes: 0, messages: 0 };
    const t0 = performance.now();
    const client = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'late',
      transport: countingTransport(counter),
    });
    let received = 0;
    let last: ConfirmedFrame | undefined;
    client.frames$.subscribe((f) => {
      received += 1;
      last = f;
    });
    const live = await client.caughtUp;
    const ms = performance.now() - t0;
    if (received !== config.frames || live !== config.frames || last?.tick !== config.frames - 1)
      throw new Error(`caught up ${received} frames to ${live}`);
    await client.close();
    return {
      ms,
      framesPerSec: Math.round((received / ms) * 1000),
      tcpBytes: counter.bytes,
      bytesPerFrame: Number((counter.bytes / received).toFixed(2)),
      messages: counter.messages,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  const given = arg ? (JSON.parse(arg) as Partial<CatchUpConfig>) : {};
  const results: Record<string, unknown> = {};
  for (const pattern of given.pattern ? [given.pattern] : (['held', 'random'] as const)) {
    const config: CatchUpConfig = { frames: 36_000, reps: 3, ...given, pattern };
    const runs: CatchUpRun[] = [];
    for (let i = 0; i < config.reps; i++) runs.push(await runOnce(config));
    const best = runs.reduce((a, b) => (a.ms < b.ms ? a : b));
    results[pattern] = { frames: config.frames, players: PLAYERS, best, runs };
    console.log(
      `${pattern}: ${config.frames} frames of ${PLAYERS} players caught up in ${best.ms.toFixed(0)} ms ` +
        `(${best.framesPerSec} frames/s), ${best.tcpBytes} bytes on the reliable channel ` +
        `(${best.bytesPerFrame} bytes/frame, ${best.messages} messages)`,
    );
  }
  console.log(JSON.stringify(results, null, 2));
}

void main();
