// The hot datagrams written and read by hand: byte for byte what the msgpack encoder writes, and read as the general decoder reads them.
import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, withHeader } from '../../src/protocol/envelope.js';
import {
  FramesBodyCache,
  Limits,
  MessageType,
  decodeServerTcp,
  decodeClientUdp,
  decodeServerUdp,
  encodeCatchUp,
  encodeFramesPacket,
  encodeInputsPacket,
  type CodecContext,
  type FramesPacket,
  type InputsPacket,
} from '../../src/protocol/index.js';
import { decodeInputsInGeneral } from '../../src/protocol/inputsCodec.js';
import { readInputsPacket } from '../../src/protocol/inputsRead.js';
import { readMsgpackInt, writeMsgpackInt, type IntRead } from '../../src/protocol/msgpackInt.js';
import { framesArb } from '../helpers/framesArb.js';

const ctx: CodecContext = { inputSize: 2, maxPlayers: 4 };

const anyInt = fc.oneof(
  fc.integer({ min: -40, max: 300 }),
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.maxSafeNat(),
  fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769),
  fc.constantFrom(2 ** 32 - 1, 2 ** 32, -(2 ** 31), -(2 ** 31) - 1),
);

describe('msgpack integers by hand', () => {
  it('are written as the encoder writes them (property)', () => {
    fc.assert(
      fc.property(anyInt, (v) => {
        const out = new Uint8Array(9);
        const end = writeMsgpackInt(out, 0, v);
        expect(out.subarray(0, end)).toEqual(encode(v));
      }),
    );
    expect(() => writeMsgpackInt(new Uint8Array(9), 0, 0.5)).toThrow(RangeError);
  });

  it('are read back from any 8- to 32-bit form; anything else is left to the general decoder', () => {
    const into: IntRead = { value: 0, end: 0 };
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.nat(3), (v, pad) => {
        const bytes = Uint8Array.from([...new Uint8Array(pad), ...encode(v)]);
        expect(readMsgpackInt(bytes, pad, bytes.length, into)).toBe(true);
        expect(into).toEqual({ value: v, end: bytes.length });
        expect(readMsgpackInt(bytes, pad, bytes.length - 1, into)).toBe(false); // cut short
      }),
    );
    // Other forms of small values are integers too: uint 16 for 5, int 8 for 5.
    expect(readMsgpackInt(Uint8Array.of(0xcd, 0, 5), 0, 3, into) && into.value).toBe(5);
    expect(readMsgpackInt(Uint8Array.of(0xd0, 5), 0, 2, into) && into.value).toBe(5);
    for (const other of [
      encode(2 ** 40),
      encode(-(2 ** 40)),
      encode(1.5),
      encode('a'),
      encode(null),
    ])
      expect(readMsgpackInt(other, 0, other.length, into)).toBe(false);
  });
});

const headerArb = fc.record({
  seq: fc.integer({ min: 0, max: 127 }),
  echoSentAt: fc.integer({ min: 0, max: 0xffff }),
  echoDelayMs: fc.integer({ min: 0, max: 0xffff }),
  inputAck: fc.integer({ min: -1, max: Limits.maxTick }),
  rxLoss: fc.integer({ min: 0, max: 255 }),
  checksumAck: fc.integer({ min: -1, max: Limits.maxTick }),
  inputLead: fc.option(fc.integer({ min: -32768, max: 32767 }), { nil: undefined }),
});

describe('the Frames packet and the CatchUp written by hand', () => {
  it('are byte for byte the msgpack encoding of their fields, with or without a body cache (property)', () => {
    fc.assert(
      fc.property(headerArb, framesArb, fc.boolean(), (header, frames, cached) => {
        const packet: FramesPacket = {
          type: MessageType.Frames,
          ...header,
          ...(header.inputLead === undefined ? {} : { inputLead: header.inputLead }),
          frames,
        };
        const cache = cached ? new FramesBodyCache() : undefined;
        const { bytes } = encodeFramesPacket(packet, ctx, Limits.datagramBytes, cache);
        // Decoded to its fields by the general decoder and encoded again: the same bytes.
        expect(withHeader(decodeEnvelope(bytes, Limits.maxDatagramBytes))).toEqual(bytes);
        const fields = decode(bytes.subarray(3)) as unknown[];
        expect(fields.slice(0, 7)).toEqual([
          MessageType.Frames,
          header.seq,
          header.echoSentAt,
          header.echoDelayMs,
          header.inputAck,
          header.rxLoss,
          header.checksumAck,
        ]);
        expect(fields).toHaveLength(header.inputLead === undefined ? 11 : 12);
        const back = decodeServerUdp(bytes, ctx) as FramesPacket;
        expect(back.inputLead).toBe(header.inputLead);
        expect(back.frames.length).toBeGreaterThan(0);
        // A second packet of the same round shares the body: the same frames come out.
        if (cache) {
          const again = encodeFramesPacket({ ...packet, seq: 0 }, ctx, Limits.datagramBytes, cache);
          expect((decodeServerUdp(again.bytes, ctx) as FramesPacket).frames).toEqual(back.frames);
        }
        const catchUp = encodeCatchUp(frames, ctx).bytes;
        expect(withHeader(decodeEnvelope(catchUp, Limits.tcpMessageBytes))).toEqual(catchUp);
        expect(decodeServerTcp(catchUp, ctx)).toMatchObject({ type: MessageType.CatchUp });
      }),
      { numRuns: 300 },
    );
  });
});

const inputsArb = fc.record({
  seq: fc.integer({ min: 0, max: 127 }),
  ackBehind: fc.integer({ min: 1, max: 300 }),
  rxLoss: fc.integer({ min: 0, max: 255 }),
  firstTick: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 2 ** 31 })),
  inputs: fc.array(fc.uint8Array({ minLength: 2, maxLength: 2 }), { maxLength: 40 }),
  sentAt: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
  checksums: fc.array(
    fc.record({ tick: fc.nat(), checksum: fc.integer({ min: 0, max: 0xffffffff }) }),
    { maxLength: 3 },
  ),
  linkReport: fc.option(
    fc.record({
      rttMs: fc.integer({ min: 0, max: 0xffff }),
      jitterMs: fc.integer({ min: 0, max: 0xffff }),
    }),
    { nil: undefined },
  ),
});

/** The packet decoded, or the error's message. */
function outcomeOf(decodeIt: () => unknown): unknown {
  try {
    return decodeIt();
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

describe('the Inputs packet read by hand', () => {
  it('takes and refuses exactly what the general decoder does, with the same errors (property)', () => {
    fc.assert(
      fc.property(
        inputsArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
        fc.nat(8),
        (p, flips, cut) => {
          const packet: InputsPacket = {
            type: MessageType.Inputs,
            seq: p.seq,
            frameAck: Math.max(-1, p.firstTick - p.ackBehind),
            rxLoss: p.rxLoss,
            firstTick: p.firstTick,
            inputs: p.inputs,
            checksums: p.checksums,
            ...(p.sentAt === undefined ? {} : { sentAt: p.sentAt }),
            ...(p.linkReport === undefined ? {} : { linkReport: p.linkReport }),
          };
          const { bytes } = encodeInputsPacket(packet, ctx);
          const fast = readInputsPacket(bytes, ctx);
          expect(fast).toEqual(decodeInputsInGeneral(bytes, ctx));
          expect(fast).toBeDefined(); // a packet the library writes is always read by hand
          // Changed bytes and cut packets: the same outcome either way.
          const changed = bytes.slice(0, Math.max(0, bytes.length - (cut > 6 ? cut : 0)));
          for (const [at, v] of flips) if (changed.length > 0) changed[at % changed.length] = v;
          expect(outcomeOf(() => decodeClientUdp(changed, ctx))).toEqual(
            outcomeOf(() => decodeInputsInGeneral(changed, ctx)),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('agrees with the general decoder on fields out of their ranges, of the wrong kind, or too many (property)', () => {
    // Mostly valid, so that one bad field at a time is what decides.
    const near = (lo: number, hi: number): fc.Arbitrary<unknown> =>
      fc.oneof(
        { arbitrary: fc.integer({ min: lo, max: hi }), weight: 12 },
        { arbitrary: fc.integer({ min: lo - 3, max: lo + 3 }), weight: 1 },
        { arbitrary: fc.integer({ min: hi - 3, max: hi + 3 }), weight: 1 },
        { arbitrary: fc.constantFrom(null, 1.5, 'x', [] as unknown[]), weight: 1 },
      );
    fc.assert(
      fc.property(
        fc.tuple(
          near(0, 127),
          near(-300, 300),
          near(0, 255),
          near(0, 2 ** 32 - 1),
          fc.oneof(
            { arbitrary: fc.constant<unknown[]>([0, new Uint8Array(0)]), weight: 12 },
            { arbitrary: fc.constant<unknown[]>([1, Uint8Array.of(0x80)]), weight: 2 },
            { arbitrary: fc.constant<unknown[]>([1, Uint8Array.of(0, 0, 0)]), weight: 1 },
            { arbitrary: fc.constant<unknown[]>([2, null]), weight: 1 },
          ),
        ),
        fc
          .tuple(
            fc.oneof(near(0, 0xffff), fc.constant(null)),
            fc.oneof(
              fc.constant(null),
              fc.array(fc.tuple(near(0, 2 ** 32 - 1), near(0, 2 ** 32 - 1)), {
                minLength: 1,
                maxLength: 16,
              }),
              fc.array(fc.tuple(near(0, 9), near(0, 9)), { maxLength: 17 }),
            ),
            near(0, 0xffff),
            near(0, 0xffff),
            fc.constantFrom(0, 1, 2, 3, 4),
          )
          .map(([sentAt, checksums, rtt, jitter, n]) =>
            [sentAt, checksums, rtt, jitter].slice(0, n),
          ),
        ([seq, delta, rxLoss, firstTick, inputs], tail) => {
          const fields = [MessageType.Inputs, seq, delta, rxLoss, firstTick, ...inputs, ...tail];
          const bytes = withHeader(fields);
          expect(outcomeOf(() => decodeClientUdp(bytes, ctx))).toEqual(
            outcomeOf(() => decodeInputsInGeneral(bytes, ctx)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves other msgpack forms of valid fields to the general decoder, which takes them', () => {
    // seq as uint 16, the inputs as bin 32: valid, not read by hand.
    const fields = [MessageType.Inputs, 1, 1, 0, 10, 0, new Uint8Array(0)];
    const general = Uint8Array.from([...withHeader(fields)]);
    expect(readInputsPacket(general, ctx)).toBeDefined();
    const seq16 = Uint8Array.from([
      0x47, 0x4e, 3, 0x97, 20, 0xcd, 0, 1, 1, 0, 10, 0, 0xc6, 0, 0, 0, 0,
    ]);
    expect(readInputsPacket(seq16, ctx)).toBeUndefined();
    expect(decodeClientUdp(seq16, ctx)).toMatchObject({ seq: 1, firstTick: 10, inputs: [] });
  });
});
