import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import {
  Limits,
  MessageType,
  PROTOCOL_VERSION,
  decodeClientTcp,
  decodeClientUdp,
  decodeServerTcp,
  decodeServerUdp,
  FramesBodyCache,
  encodeCatchUp,
  encodeFramesPacket,
  encodeInputsPacket,
  encodeMessage,
  isValidUsername,
  type CodecContext,
  type FramesPacket,
  type InputsPacket,
  type ClientTcpMessage,
  type ServerTcpMessage,
  type CatchUpFrames,
} from '../../src/protocol/index.js';
import type { ConfirmedFrame } from '../../src/types.js';
import { framesArbWith } from '../helpers/framesArb.js';

const ctx: CodecContext = { inputSize: 2, maxPlayers: 4 };

const name = fc
  .string({ minLength: 1, maxLength: Limits.usernameLength })
  .filter((s) => isValidUsername(s));
const u16 = fc.integer({ min: 0, max: 0xffff });
const tick = fc.integer({ min: 0, max: 1_000_000 });

const signalData = fc.uint8Array({ minLength: 1, maxLength: Limits.maxSignalBytes });

const clientTcp: fc.Arbitrary<ClientTcpMessage> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.Join),
    protocolVersion: fc.integer({ min: 0, max: 255 }),
    username: name,
    password: fc.string({ maxLength: Limits.passwordLength }),
  }),
  fc.record({ type: fc.constant(MessageType.Chat), text: fc.string({ maxLength: 500 }) }),
  fc.constant({ type: MessageType.Leave }),
  fc.record({
    type: fc.constant(MessageType.Snapshot),
    tick,
    data: fc.uint8Array({ maxLength: 2000 }),
  }),
  fc.record({ type: fc.constant(MessageType.SignalToServer), data: signalData }),
  fc.constant({ type: MessageType.Ready }),
  fc.record({
    type: fc.constant(MessageType.Reconnect),
    protocolVersion: fc.integer({ min: 0, max: 255 }),
    token: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    lastTick: fc.integer({ min: -1, max: Limits.maxTick }),
  }),
  fc.record({
    type: fc.constant(MessageType.SnapshotOffer),
    tick,
    data: fc.uint8Array({ maxLength: 2000 }),
  }),
);

const serverTcp: fc.Arbitrary<Exclude<ServerTcpMessage, CatchUpFrames>> = fc.oneof(
  fc.record(
    {
      type: fc.constant(MessageType.JoinAccepted),
      playerId: fc.integer({ min: 0, max: 3 }),
      tickRate: fc.integer({ min: 1, max: 240 }),
      inputSize: fc.integer({ min: 1, max: 64 }),
      maxPlayers: fc.constant(4),
      reconnectToken: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      firstTick: tick,
      players: fc.array(fc.record({ playerId: fc.integer({ min: 0, max: 3 }), username: name }), {
        maxLength: 4,
      }),
      snapshot: fc.option(fc.uint8Array({ maxLength: 2000 }), { nil: undefined }),
    },
    {
      requiredKeys: [
        'type',
        'playerId',
        'tickRate',
        'inputSize',
        'maxPlayers',
        'reconnectToken',
        'firstTick',
        'players',
      ],
    },
  ),
  fc.record({
    type: fc.constantFrom(MessageType.Seated, MessageType.CaughtUp, MessageType.SnapshotRequest),
    tick: fc.integer({ min: 0, max: Limits.maxTick }),
  }),
  fc.record({
    type: fc.constant(MessageType.JoinRefused),
    reason: fc.constantFrom(
      'bad-credentials',
      'server-full',
      'duplicate-name',
      'version-mismatch',
      'bad-request',
      'server-closing',
      'bad-token',
    ),
  }),
  fc.record({ type: fc.constant(MessageType.ChatBroadcast), from: name, text: fc.string() }),
  fc.record({
    type: fc.constant(MessageType.Desync),
    tick,
    checksums: fc.array(
      fc.record({
        playerId: fc.integer({ min: 0, max: 255 }),
        checksum: fc.integer({ min: 0, max: 0xffffffff }),
      }),
      { maxLength: 8 },
    ),
  }),
  fc.record({
    type: fc.constant(MessageType.Goodbye),
    reason: fc.constantFrom(
      'left',
      'timeout',
      'kicked',
      'error',
      'server-closing',
      'ready-timeout',
    ),
    message: fc.string({ maxLength: 200 }),
  }),
  fc.record({ type: fc.constant(MessageType.SignalToClient), data: signalData }),
);

const input = fc.uint8Array({ minLength: 2, maxLength: 2 });
const heldInputs = fc
  .array(input, { minLength: 1, maxLength: 3 })
  .chain((pool) => fc.array(fc.constantFrom(...pool), { maxLength: 80 }));

const inputsPacket: fc.Arbitrary<InputsPacket> = fc.record({
  type: fc.constant(MessageType.Inputs),
  seq: fc.integer({ min: 0, max: 127 }),
  sentAt: fc.option(u16, { nil: undefined }),
  frameAck: fc.integer({ min: -1, max: 1_000_000 }),
  rxLoss: fc.integer({ min: 0, max: 255 }),
  firstTick: tick,
  inputs: heldInputs,
  checksums: fc.array(fc.record({ tick, checksum: fc.integer({ min: 0, max: 0xffffffff }) }), {
    maxLength: 16,
  }),
  linkReport: fc.option(fc.record({ rttMs: u16, jitterMs: u16 }), { nil: undefined }),
});

/** Consecutive frames with slots coming and going, joins and leaves named. */
const framesArb: fc.Arbitrary<ConfirmedFrame[]> = framesArbWith({
  firstTick: tick,
  minFrames: 0,
  maxFrames: 30,
  input,
  name,
  leaveName: name,
});

const framesPacket: fc.Arbitrary<FramesPacket> = fc.record(
  {
    type: fc.constant(MessageType.Frames),
    seq: fc.integer({ min: 0, max: 127 }),
    echoSentAt: u16,
    echoDelayMs: u16,
    inputAck: fc.integer({ min: -1, max: 1_000_000 }),
    rxLoss: fc.integer({ min: 0, max: 255 }),
    checksumAck: fc.integer({ min: -1, max: 1_000_000 }),
    frames: framesArb,
    inputLead: fc.option(fc.integer({ min: -32768, max: 32767 }), { nil: undefined }),
  },
  {
    requiredKeys: [
      'type',
      'seq',
      'echoSentAt',
      'echoDelayMs',
      'inputAck',
      'rxLoss',
      'checksumAck',
      'frames',
    ],
  },
);

function expectDecodeError(fn: () => unknown, code?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    if (code) expect((err as DecodeError).code).toBe(code);
    return;
  }
  throw new Error('expected a DecodeError');
}

describe('codec', () => {
  it('round-trips every client TCP message (property)', () => {
    fc.assert(
      fc.property(clientTcp, (m) => {
        expect(decodeClientTcp(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('round-trips every server TCP message (property)', () => {
    fc.assert(
      fc.property(serverTcp, (m) => {
        expect(decodeServerTcp(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('round-trips CatchUp messages with the frames that fit 64 KiB, oldest first (property)', () => {
    fc.assert(
      fc.property(
        framesArb,
        fc.integer({ min: 200, max: Limits.tcpMessageBytes }),
        (frames, budget) => {
          const { bytes, count } = encodeCatchUp(frames, ctx, budget);
          expect(bytes.length).toBeLessThanOrEqual(budget);
          const nameless = frames
            .slice(0, count)
            .map((f) => (f.left ? { ...f, left: f.left.map((l) => ({ ...l, username: '' })) } : f));
          expect(decodeServerTcp(bytes, ctx)).toEqual({
            type: MessageType.CatchUp,
            frames: nameless,
          });
        },
      ),
    );
  });

  it('packs 4096 frames of 8 players in one CatchUp message, and needs the context to read it', () => {
    const eight: CodecContext = { inputSize: 2, maxPlayers: 8 };
    const frames: ConfirmedFrame[] = Array.from({ length: 5000 }, (_, t) => ({
      tick: t,
      inputs: Array.from({ length: 8 }, (_, s) => Uint8Array.of(s, (t >> 4) & 0xff)),
    }));
    const { bytes, count } = encodeCatchUp(frames, eight);
    expect(count).toBe(Limits.maxTicksPerPacket);
    expect(bytes.length).toBeLessThan(Limits.tcpMessageBytes);
    expect(decodeServerTcp(bytes, eight)).toEqual({
      type: MessageType.CatchUp,
      frames: frames.slice(0, count),
    });
    expectDecodeError(() => decodeServerTcp(bytes), 'unknown-type');
  });

  it('rejects a substitution event that names no slot, an empty slot, or a non-zero last field', () => {
    const frame: ConfirmedFrame = {
      tick: 1,
      inputs: [Uint8Array.of(1, 2), null, null, null],
      substituted: [0],
    };
    const good = encodeCatchUp([frame], ctx).bytes;
    const body = decode(good.subarray(3)) as unknown[];
    const withEvent = (event: unknown[]) =>
      Uint8Array.from([...good.subarray(0, 3), ...encode([...body.slice(0, 4), [event]])]);
    expect(decodeServerTcp(withEvent([1, 2, Uint8Array.of(0x80), 0]), ctx)).toEqual({
      type: MessageType.CatchUp,
      frames: [frame],
    });
    for (const bad of [
      [1, 2, Uint8Array.of(0), 0],
      [1, 2, Uint8Array.of(0x40), 0],
      [1, 2, Uint8Array.of(0x80), 1],
      [1, 2, Uint8Array.of(0x88), 0],
    ])
      expectDecodeError(() => decodeServerTcp(withEvent(bad), ctx), 'bad-field');
  });

  it('round-trips world state', () => {
    const m = { type: MessageType.WorldState, seq: 7, data: Uint8Array.of(1, 2, 3) } as const;
    const back = decodeServerUdp(encodeMessage(m), ctx);
    expect(back).toEqual({ ...m, data: Uint8Array.of(1, 2, 3) });
  });

  it('round-trips inputs packets (property)', () => {
    fc.assert(
      fc.property(inputsPacket, (p) => {
        const { bytes, count } = encodeInputsPacket(p, ctx);
        expect(count).toBe(p.inputs.length);
        expect(bytes.length).toBeLessThanOrEqual(Limits.datagramBytes);
        expect(decodeClientUdp(bytes, ctx)).toEqual(p);
      }),
    );
  });

  it('round-trips frames packets with joins and leaves (property)', () => {
    fc.assert(
      fc.property(framesPacket, (p) => {
        const { bytes, count } = encodeFramesPacket(p, ctx);
        expect(bytes.length).toBeLessThanOrEqual(Limits.datagramBytes);
        // Long names in many events may not all fit: the frames that fit, oldest first.
        expect(count).toBeGreaterThan(Math.min(p.frames.length, 3) - 1);
        // Leaves travel without names (the client knows who is in each slot).
        const nameless = p.frames
          .slice(0, count)
          .map((f) => (f.left ? { ...f, left: f.left.map((l) => ({ ...l, username: '' })) } : f));
        expect(decodeServerUdp(bytes, ctx)).toEqual({ ...p, frames: nameless });
      }),
    );
  });

  it('fits a frame where every one of 256 players leaves', () => {
    const big: CodecContext = { inputSize: 2, maxPlayers: 256 };
    const frame: ConfirmedFrame = {
      tick: 5,
      inputs: new Array<null>(256).fill(null),
      left: Array.from({ length: 256 }, (_, i) => ({
        playerId: i,
        username: 'x'.repeat(32),
        reason: 'timeout' as const,
      })),
    };
    const p: FramesPacket = {
      type: MessageType.Frames,
      seq: 1,
      echoSentAt: 1,
      echoDelayMs: 1,
      inputAck: 4,
      rxLoss: 0,
      checksumAck: -1,
      frames: [frame],
    };
    const { bytes, count } = encodeFramesPacket(p, big);
    expect(count).toBe(1);
    expect(bytes.length).toBeLessThan(400);
  });

  it('takes as many whole ticks as fit the budget, oldest first, and never exceeds it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 2, maxLength: 2 }), { maxLength: 700 }),
        fc.integer({ min: 40, max: 1200 }),
        (inputs, budget) => {
          const p: InputsPacket = {
            type: MessageType.Inputs,
            seq: 1,
            sentAt: 2,
            frameAck: 50_000,
            rxLoss: 0,
            checksums: [],
            firstTick: 70_000,
            inputs,
          };
          const { bytes, count } = encodeInputsPacket(p, ctx, budget);
          expect(bytes.length).toBeLessThanOrEqual(budget);
          const back = decodeClientUdp(bytes, ctx);
          expect(back.inputs).toEqual(inputs.slice(0, count));
          if (count < inputs.length) {
            // one more tick would not have fitted
            const more = encodeInputsPacket(
              { ...p, inputs: inputs.slice(0, count + 1) },
              ctx,
              100_000,
            );
            expect(more.bytes.length).toBeGreaterThan(budget);
          }
        },
      ),
    );
  });

  it('fits frames of 128 players to the budget exactly (property)', () => {
    const big: CodecContext = { inputSize: 2, maxPlayers: 128 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, seed) => {
          let s = seed;
          const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) & 0xff;
          const frames: ConfirmedFrame[] = [];
          for (let i = 0; i < n; i++) {
            frames.push({
              tick: 1000 + i,
              inputs: Array.from({ length: 128 }, (_, k) =>
                k % 5 === 4 ? null : Uint8Array.of(rnd(), rnd() & 1),
              ),
            });
          }
          const p: FramesPacket = {
            type: MessageType.Frames,
            seq: 1,
            echoSentAt: 2,
            echoDelayMs: 3,
            inputAck: 5,
            rxLoss: 0,
            checksumAck: -1,
            frames,
          };
          const { bytes, count } = encodeFramesPacket(p, big);
          expect(bytes.length).toBeLessThanOrEqual(Limits.datagramBytes);
          expect(count).toBeGreaterThan(0);
          expect((decodeServerUdp(bytes, big) as FramesPacket).frames).toEqual(
            frames.slice(0, count),
          );
          if (count < n) {
            const more = encodeFramesPacket(
              { ...p, frames: frames.slice(0, count + 1) },
              big,
              100_000,
            );
            expect(more.bytes.length).toBeGreaterThan(Limits.datagramBytes);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('with a body cache, encodes the same frames once for many packets, within the budget (property)', () => {
    const big: CodecContext = { inputSize: 2, maxPlayers: 64 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, seed) => {
          let s = seed;
          const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) & 0xff;
          const frames: ConfirmedFrame[] = Array.from({ length: n }, (_, i) => ({
            tick: 70_000 + i,
            inputs: Array.from({ length: 64 }, () => Uint8Array.of(rnd() & 3, 0)),
          }));
          const cache = new FramesBodyCache();
          const exact = encodeFramesPacket(
            {
              type: MessageType.Frames,
              seq: 1,
              echoSentAt: 1,
              echoDelayMs: 1,
              inputAck: 1,
              rxLoss: 0,
              checksumAck: -1,
              frames,
            },
            big,
          );
          for (const seq of [0, 100, 127]) {
            const p: FramesPacket = {
              type: MessageType.Frames,
              seq,
              echoSentAt: 65535,
              echoDelayMs: 65534,
              inputAck: 2 ** 31,
              rxLoss: 255,
              checksumAck: 2 ** 31,
              frames: frames.slice(),
            };
            const { bytes, count } = encodeFramesPacket(p, big, Limits.datagramBytes, cache);
            expect(bytes.length).toBeLessThanOrEqual(Limits.datagramBytes);
            // At most a few bytes of the budget are given up for the shared count.
            expect(count).toBeGreaterThanOrEqual(exact.count - 1);
            expect(decodeServerUdp(bytes, big)).toEqual({ ...p, frames: frames.slice(0, count) });
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps a held-button input packet small', () => {
    const held = Uint8Array.of(0x01, 0x00);
    const p: InputsPacket = {
      type: MessageType.Inputs,
      seq: 100,
      sentAt: 200,
      frameAck: 300,
      rxLoss: 0,
      checksums: [],
      firstTick: 305,
      inputs: Array.from({ length: 6 }, () => held),
    };
    expect(encodeInputsPacket(p, ctx).bytes.length).toBeLessThanOrEqual(30);
  });

  it('rejects a foreign magic, another version, truncation and trailing bytes with typed codes', () => {
    const good = encodeMessage({ type: MessageType.Chat, text: 'hi' });
    expectDecodeError(() => decodeClientTcp(Uint8Array.of(0x47)), 'truncated');
    expectDecodeError(() => decodeClientTcp(Uint8Array.of(1, 2, 3, 4, 5)), 'bad-magic');
    const other = good.slice();
    other[2] = PROTOCOL_VERSION + 1;
    expectDecodeError(() => decodeClientTcp(other), 'bad-version');
    expectDecodeError(() => decodeClientTcp(good.subarray(0, good.length - 1)), 'malformed');
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expectDecodeError(() => decodeClientTcp(trailing), 'malformed');
    expectDecodeError(() => decodeServerTcp(good), 'unknown-type');
  });

  it('rejects wrong types, out-of-range numbers and over-long strings', () => {
    const join = concatHeader;
    expect(decodeClientTcp(join([1, 2, 'bob', 'pw']))).toEqual({
      type: MessageType.Join,
      protocolVersion: 2,
      username: 'bob',
      password: 'pw',
    });
    expectDecodeError(() => decodeClientTcp(join([1, 256, 'bob', 'pw'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, 'x'.repeat(33), 'pw'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, '', 'pw'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, 'a\nb', 'pw'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, 5, 'pw'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, 'bob', 'x'.repeat(129)])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2.5, 'bob', 'pw'])), 'bad-field');
    // The version 1 Join, with its UDP port: one field too many.
    expectDecodeError(() => decodeClientTcp(join([1, 2, 'bob', 'pw', 7])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([1, 2, 'bob'])), 'bad-field');
    expectDecodeError(() => decodeClientTcp(join([99])), 'unknown-type');
    expectDecodeError(() => decodeClientTcp(join(['x'])), 'malformed');
  });

  it('rejects a JoinAccepted with the fields of version 1 or 2, or out of range', () => {
    const accepted = concatHeader;
    const token = new Uint8Array(16).fill(9);
    expect(decodeServerTcp(accepted([10, 1, 60, 2, 4, token, 0, [[0, 'bob']], null]))).toEqual({
      type: MessageType.JoinAccepted,
      playerId: 1,
      tickRate: 60,
      inputSize: 2,
      maxPlayers: 4,
      reconnectToken: token,
      firstTick: 0,
      players: [{ playerId: 0, username: 'bob' }],
    });
    expect(decodeServerTcp(accepted([10, 1, 60, 2, 4, token, 7, [], Uint8Array.of(5)]))).toEqual({
      type: MessageType.JoinAccepted,
      playerId: 1,
      tickRate: 60,
      inputSize: 2,
      maxPlayers: 4,
      reconnectToken: token,
      firstTick: 7,
      players: [],
      snapshot: Uint8Array.of(5),
    });
    // Version 1: [type, playerId, udpPort, tickRate, inputSize, maxPlayers, startTick, token, players]
    expectDecodeError(
      () => decodeServerTcp(accepted([10, 1, 7778, 60, 2, 4, 0, 12345, []])),
      'bad-field',
    );
    // Version 2: [type, playerId, tickRate, inputSize, maxPlayers, startTick, players]
    expectDecodeError(() => decodeServerTcp(accepted([10, 1, 60, 2, 4, 0, []])), 'bad-field');
    const ok = [10, 1, 60, 2, 4, token, 0, [], null];
    const bad = (i: number, v: unknown) => ok.map((x, k) => (k === i ? v : x));
    for (const [i, v] of [
      [1, 4], // playerId past maxPlayers - 1
      [2, 0], // tickRate
      [3, 0], // inputSize
      [4, 257], // maxPlayers
      [5, new Uint8Array(15)], // token: 16 bytes
      [5, 'x'.repeat(16)],
      [6, -1], // firstTick
      [8, new Uint8Array(Limits.maxSnapshotBytes + 1)],
      [8, 0],
    ] as [number, unknown][])
      expectDecodeError(() => decodeServerTcp(accepted(bad(i, v))), 'bad-field');
    expectDecodeError(
      () =>
        decodeServerTcp(
          accepted([
            10,
            0,
            60,
            2,
            1,
            token,
            0,
            [
              [0, 'a'],
              [0, 'b'],
            ],
            null,
          ]),
        ),
      'bad-field',
    );
  });

  it('reads Ready, Reconnect, SnapshotOffer, Seated, CaughtUp and SnapshotRequest, and refuses bad fields', () => {
    const msg = concatHeader;
    const token = new Uint8Array(16).fill(3);
    expect(decodeClientTcp(msg([6]))).toEqual({ type: MessageType.Ready });
    expect(decodeClientTcp(msg([7, 3, token, -1]))).toEqual({
      type: MessageType.Reconnect,
      protocolVersion: 3,
      token,
      lastTick: -1,
    });
    expect(decodeServerTcp(msg([16, 42]))).toEqual({ type: MessageType.Seated, tick: 42 });
    for (const bad of [
      [6, 1],
      [7, 3, token.subarray(1), 0],
      [7, 3, token, -2],
      [8, -1, token],
    ])
      expectDecodeError(() => decodeClientTcp(msg(bad)), 'bad-field');
    for (const bad of [[16], [17 + 1, -1], [19, 'x']])
      expectDecodeError(() => decodeServerTcp(msg(bad)), 'bad-field');
    // Each in its own direction only.
    expectDecodeError(() => decodeServerTcp(msg([6])), 'unknown-type');
    expectDecodeError(() => decodeClientTcp(msg([16, 1])), 'unknown-type');
  });

  it('takes a signal of 1 to 4096 opaque bytes, in its own direction only', () => {
    const msg = concatHeader;
    const max = new Uint8Array(Limits.maxSignalBytes).fill(7);
    expect(decodeClientTcp(msg([5, max]))).toEqual({ type: MessageType.SignalToServer, data: max });
    expect(decodeServerTcp(msg([15, Uint8Array.of(0)]))).toEqual({
      type: MessageType.SignalToClient,
      data: Uint8Array.of(0),
    });
    for (const decode of [decodeClientTcp, decodeServerTcp]) {
      const tag = decode === decodeClientTcp ? 5 : 15;
      expectDecodeError(() => decode(msg([tag, new Uint8Array(0)])), 'bad-field');
      expectDecodeError(() => decode(msg([tag, new Uint8Array(4097)])), 'bad-field');
      expectDecodeError(() => decode(msg([tag, 'bytes as a str'])), 'bad-field');
      expectDecodeError(() => decode(msg([tag])), 'bad-field');
      expectDecodeError(() => decode(msg([tag, Uint8Array.of(1), Uint8Array.of(2)])), 'bad-field');
    }
    // A signal for the client arriving at the server, and the other way round.
    expectDecodeError(() => decodeClientTcp(msg([15, Uint8Array.of(1)])), 'unknown-type');
    expectDecodeError(() => decodeServerTcp(msg([5, Uint8Array.of(1)])), 'unknown-type');
    // The decoded bytes are a plain Uint8Array whatever the input was.
    const fromBuffer = decodeServerTcp(Buffer.from(msg([15, Uint8Array.of(1, 2)])));
    expect((fromBuffer as { data: Uint8Array }).data.constructor).toBe(Uint8Array);
  });

  it('refuses to encode a signal that is empty or over 4096 bytes', () => {
    for (const type of [MessageType.SignalToServer, MessageType.SignalToClient]) {
      expect(() => encodeMessage({ type, data: new Uint8Array(0) })).toThrow(RangeError);
      expect(() => encodeMessage({ type, data: new Uint8Array(4097) })).toThrow(RangeError);
      expect(encodeMessage({ type, data: new Uint8Array(4096) }).length).toBe(3 + 1 + 1 + 3 + 4096);
    }
  });

  it('lays out Inputs as 7 fields and the optional tail, with no token', () => {
    const p: InputsPacket = {
      type: MessageType.Inputs,
      seq: 3,
      frameAck: 9,
      rxLoss: 1,
      firstTick: 10,
      inputs: [Uint8Array.of(1, 2)],
      checksums: [],
    };
    const fieldsOf = (q: InputsPacket): unknown[] =>
      decode(encodeInputsPacket(q, ctx).bytes.subarray(3)) as unknown[];
    expect(fieldsOf(p)).toEqual([20, 3, 1, 1, 10, 1, expect.any(Uint8Array)]);
    expect(fieldsOf({ ...p, sentAt: 5 })).toHaveLength(8);
    expect(fieldsOf({ ...p, checksums: [{ tick: 1, checksum: 2 }] }).slice(7)).toEqual([
      null,
      [[1, 2]],
    ]);
    expect(fieldsOf({ ...p, linkReport: { rttMs: 4, jitterMs: 1 } }).slice(7)).toEqual([
      null,
      null,
      4,
      1,
    ]);
    const inputs = concatHeader;
    const bits = Uint8Array.of(0x80, 0x81, 0x00); // 1 00000001 00000010: one input, 0102
    expect(decodeClientUdp(inputs([20, 3, 1, 1, 10, 1, bits]), ctx)).toEqual(p);
    expect(decodeClientUdp(inputs([20, 3, 1, 1, 10, 1, bits, null, null]), ctx)).toEqual(p);
    // rttMs without jitterMs, and the version 1 layout with a token in field 1.
    for (const bad of [
      [20, 3, 1, 1, 10, 1, bits, null, null, 4],
      [20, 0x9e3779b9, 3, 1, 1, 10, 1, bits],
      [20, 3, 1, 1, 10, 1],
      [20, 3, 1, 1, 10, 1, bits, null, null, 4, 1, 0],
    ])
      expectDecodeError(() => decodeClientUdp(inputs(bad), ctx), 'bad-field');
  });

  it('rejects an inputs packet whose bit field does not match its count', () => {
    const p: InputsPacket = {
      type: MessageType.Inputs,
      seq: 1,
      sentAt: 1,
      frameAck: -1,
      rxLoss: 0,
      checksums: [],
      firstTick: 0,
      inputs: [Uint8Array.of(1, 2), Uint8Array.of(3, 4)],
    };
    const bytes = encodeInputsPacket(p, ctx).bytes;
    expectDecodeError(() => decodeClientUdp(bytes, { inputSize: 3, maxPlayers: 4 }), 'bad-field');
  });

  it('never throws anything but DecodeError on random or mutated bytes (property)', () => {
    const valid = [
      encodeMessage({ type: MessageType.Chat, text: 'hello' }),
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: 1,
        username: 'bob',
        password: 'pw',
      }),
      encodeMessage({
        type: MessageType.SignalToServer,
        data: Uint8Array.of(0x1e, 0x62, 1, 2, 3, 4),
      }),
      encodeMessage({
        type: MessageType.SignalToClient,
        data: Uint8Array.of(0x1e, 0x62, 1, 2, 3, 4),
      }),
      encodeInputsPacket(
        {
          type: MessageType.Inputs,
          seq: 1,
          sentAt: 1,
          frameAck: 3,
          rxLoss: 0,
          checksums: [],
          firstTick: 4,
          inputs: [Uint8Array.of(1, 2), Uint8Array.of(1, 2)],
        },
        ctx,
      ).bytes,
      encodeFramesPacket(
        {
          type: MessageType.Frames,
          seq: 1,
          echoSentAt: 1,
          echoDelayMs: 1,
          inputAck: 3,
          rxLoss: 0,
          checksumAck: -1,
          frames: [
            {
              tick: 5,
              inputs: [Uint8Array.of(1, 2), null, null, null],
              joined: [{ playerId: 0, username: 'a' }],
            },
          ],
        },
        ctx,
      ).bytes,
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([bytes, edits, cut]) => {
        const b = bytes.slice();
        for (const [i, v] of edits) b[i % b.length] = v;
        return b.subarray(0, Math.max(0, b.length - (cut % 3)));
      });
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .uint8Array({ maxLength: 64 })
        .map((b) => concat(Uint8Array.of(0x47, 0x4e, PROTOCOL_VERSION), b)),
      mutated,
    );
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        for (const decode of [
          decodeClientTcp,
          decodeServerTcp,
          (b: Uint8Array) => decodeClientUdp(b, ctx),
          (b: Uint8Array) => decodeServerUdp(b, ctx),
        ]) {
          try {
            decode(bytes);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function concatHeader(fields: unknown[]): Uint8Array {
  return concat(Uint8Array.of(0x47, 0x4e, PROTOCOL_VERSION), encode(fields));
}
