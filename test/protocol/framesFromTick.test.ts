// A Frames packet decoded from a tick: the frames before it are checked but not decoded (issue 19).
import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { BitReader } from '../../src/protocol/bits.js';
import {
  MessageType,
  PROTOCOL_VERSION,
  decodeServerUdp,
  encodeFramesPacket,
  type CodecContext,
  type FramesPacket,
} from '../../src/protocol/index.js';
import type { ConfirmedFrame } from '../../src/types.js';
import { framesArb } from '../helpers/framesArb.js';

const ctx: CodecContext = { inputSize: 2, maxPlayers: 4 };

function packetOf(frames: readonly ConfirmedFrame[]): FramesPacket {
  return {
    type: MessageType.Frames,
    seq: 3,
    echoSentAt: 100,
    echoDelayMs: 2,
    inputAck: 7,
    rxLoss: 0,
    checksumAck: -1,
    frames: [...frames],
  };
}

/** The decode of `bytes`, or the DecodeError it throws. */
function outcome(bytes: Uint8Array, fromTick?: number): FramesPacket | DecodeError {
  try {
    return decodeServerUdp(bytes, ctx, fromTick) as FramesPacket;
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('decodeServerUdp with a from-tick', () => {
  it('returns the frames from that tick on, as a full decode has them (property)', () => {
    fc.assert(
      fc.property(framesArb, fc.integer({ min: -2, max: 26 }), (frames, offset) => {
        const { bytes } = encodeFramesPacket(packetOf(frames), ctx);
        const full = decodeServerUdp(bytes, ctx) as FramesPacket;
        const from = frames[0].tick + offset;
        const part = decodeServerUdp(bytes, ctx, from) as FramesPacket;
        expect(part).toEqual({ ...full, frames: full.frames.filter((f) => f.tick >= from) });
      }),
    );
  });

  it('copies out no input of the frames before it', () => {
    // Four slots, eight frames, every slot's input new in every frame: 32 inputs in full.
    const frames: ConfirmedFrame[] = Array.from({ length: 8 }, (_, i) => ({
      tick: 50 + i,
      inputs: [0, 1, 2, 3].map((s) => Uint8Array.of(i, s)),
    }));
    const { bytes, count } = encodeFramesPacket(packetOf(frames), ctx);
    expect(count).toBe(8);
    const readBits = vi.spyOn(BitReader.prototype, 'readBits');
    decodeServerUdp(bytes, ctx);
    const fullReads = readBits.mock.calls.filter(([bits]) => bits === 16).length;
    expect(fullReads).toBe(32);
    readBits.mockClear();
    const part = decodeServerUdp(bytes, ctx, 57) as FramesPacket;
    expect(part.frames.map((f) => f.tick)).toEqual([57]);
    // Only frame 57's four inputs are read out (the presence masks are 4 bits, not 16).
    expect(readBits.mock.calls.filter(([bits]) => bits === 16).length).toBe(4);
    readBits.mockClear();
    expect((decodeServerUdp(bytes, ctx, 58) as FramesPacket).frames).toEqual([]);
    expect(readBits.mock.calls.filter(([bits]) => bits === 16).length).toBe(0);
  });

  it('reads a repeat that follows the skipped frames from the last input written in full', () => {
    const held = Uint8Array.of(0x12, 0x34);
    const frames: ConfirmedFrame[] = Array.from({ length: 6 }, (_, i) => ({
      tick: 10 + i,
      inputs: [held, i < 3 ? null : held, null, Uint8Array.of(0, i === 0 ? 9 : 1)],
    }));
    const { bytes } = encodeFramesPacket(packetOf(frames), ctx);
    const part = decodeServerUdp(bytes, ctx, 14) as FramesPacket;
    expect(part.frames).toEqual(frames.slice(4));
    // Each input its own array, as a full decode gives them.
    expect(part.frames[0].inputs[0]).not.toBe(part.frames[1].inputs[0]);
  });

  it('rejects every malformed packet a full decode rejects, and only those (property)', () => {
    fc.assert(
      fc.property(
        framesArb,
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 0, max: 3 }),
        (frames, offset, flips, cut) => {
          const { bytes } = encodeFramesPacket(packetOf(frames), ctx);
          const bad = bytes.slice(0, bytes.length - cut);
          for (const [at, x] of flips) bad[at % bad.length] ^= x;
          const full = outcome(bad);
          const part = outcome(bad, frames[0].tick + offset);
          if (full instanceof DecodeError) {
            expect(part).toBeInstanceOf(DecodeError);
          } else {
            expect(part).not.toBeInstanceOf(DecodeError);
            const from = frames[0].tick + offset;
            expect(part).toEqual({ ...full, frames: full.frames.filter((f) => f.tick >= from) });
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects a truncated bit field, a sequence starting with a repeat, and a substitution of an empty slot, before the tick', () => {
    const frames: ConfirmedFrame[] = Array.from({ length: 4 }, (_, i) => ({
      tick: 20 + i,
      inputs: [Uint8Array.of(1, 2), null, null, null],
    }));
    const good = decodeServerUdp(encodeFramesPacket(packetOf(frames), ctx).bytes, ctx, 30);
    expect((good as FramesPacket).frames).toEqual([]);
    // A bit field cut short: the masks (1 1000 0 0 0) give slot 0 an input in every frame.
    const fields = (bits: Uint8Array, events: unknown[] = []) =>
      encodeRaw([MessageType.Frames, 0, 0, 0, -1, 0, -1, 20, 4, bits, events]);
    expect(() => decodeServerUdp(fields(Uint8Array.of(0xc0)), ctx, 30)).toThrow(/ends early/);
    // The same masks, then slot 0's sequence starts with a repeat bit.
    expect(() => decodeServerUdp(fields(Uint8Array.of(0xc0, 0x00, 0x00)), ctx, 30)).toThrow(
      /repeat/,
    );
    // A substitution event for slot 1 at tick 20, which has no input there.
    const { bytes } = encodeFramesPacket(packetOf(frames), ctx);
    const body = decodeServerUdp(bytes, ctx) as FramesPacket;
    expect(body.frames).toHaveLength(4);
    const bitsOnly = rawFields(bytes)[9] as Uint8Array;
    expect(() =>
      decodeServerUdp(fields(bitsOnly, [[20, 2, Uint8Array.of(0x40), 0]]), ctx, 30),
    ).toThrow(/substituted slot has no input/);
    expect(() => decodeServerUdp(fields(bitsOnly, [[19, 0, 1, 'x']]), ctx, 30)).toThrow(
      /outside the packet ticks/,
    );
  });
});

/** A datagram of the given msgpack fields, with the protocol's header. */
function encodeRaw(fields: unknown[]): Uint8Array {
  const body = encode(fields);
  const out = new Uint8Array(3 + body.length);
  out.set([0x47, 0x4e, PROTOCOL_VERSION]);
  out.set(body, 3);
  return out;
}

/** The msgpack fields of a datagram. */
function rawFields(bytes: Uint8Array): unknown[] {
  return decode(bytes.subarray(3)) as unknown[];
}
