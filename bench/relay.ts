// The peers' lockstep relay: the wire format of their inputs and frames, and the match that
// waits for every player's input of a tick and then gives that tick's frame.

import { INPUT_SIZE } from './common.js';

/** Bytes of an inputs message: the tick (u32 big-endian), then the input. */
export const INPUT_MESSAGE_BYTES = 4 + INPUT_SIZE;

/** Bytes of a frame for `players`: the tick (u32), then each player's input in join order. */
export const frameBytes = (players: number): number => 4 + players * INPUT_SIZE;

/** The UDP relay's join: a bot sends this until the server sends it back. */
export const UDP_HELLO = Uint8Array.of(0xff);

/** Encodes one input message (tick, input) into a new buffer. */
export function encodeInput(tick: number, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(INPUT_MESSAGE_BYTES);
  new DataView(out.buffer).setUint32(0, tick);
  out.set(input.subarray(0, INPUT_SIZE), 4);
  return out;
}

/** The tick a frame or an input message is for. */
export function tickOf(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0);
}

/**
 * What a game developer writes for a lockstep relay: a bucket per tick holding every
 * player's input; when the last one is in, the frame goes to everybody (`send`). No
 * redundancy, no acknowledgements, no timeout for a missing player (a player who leaves is
 * no longer waited for). `players` is the match's size, every player joined before tick 0.
 */
export class RelayMatch {
  private readonly pending = new Map<number, { frame: Uint8Array; count: number }>();
  private joined = 0;
  private active = 0;
  /** Frames given out. */
  frames = 0;

  constructor(
    private readonly players: number,
    private readonly send: (frame: Uint8Array) => void,
  ) {}

  /** A new player: its index in the frame (undefined when the match is full). */
  join(): number | undefined {
    if (this.joined >= this.players) return undefined;
    this.active++;
    return this.joined++;
  }

  /** A player left: ticks no longer wait for it. */
  leave(): void {
    this.active--;
    for (const [tick, bucket] of this.pending)
      if (bucket.count >= this.active) this.complete(tick, bucket.frame);
  }

  /** Player `index`'s input message (tick, input). */
  input(index: number, message: Uint8Array): void {
    if (message.length < INPUT_MESSAGE_BYTES) return;
    const tick = tickOf(message);
    let bucket = this.pending.get(tick);
    if (!bucket) {
      const frame = new Uint8Array(frameBytes(this.players));
      new DataView(frame.buffer).setUint32(0, tick);
      bucket = { frame, count: 0 };
      this.pending.set(tick, bucket);
    }
    bucket.frame.set(message.subarray(4, INPUT_MESSAGE_BYTES), 4 + index * INPUT_SIZE);
    if (++bucket.count >= this.active) this.complete(tick, bucket.frame);
  }

  private complete(tick: number, frame: Uint8Array): void {
    this.pending.delete(tick);
    this.frames++;
    this.send(frame);
  }
}
