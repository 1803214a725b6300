// The datagram-size arithmetic, checked against the real encoder and a model of join spreading.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JOIN_BYTES_PER_TICK,
  Limits,
  MessageType,
  encodeFramesPacket,
  isValidUsername,
  joinEventBytes,
  maxJoinSpreadTicks,
  worstFramePacketBytes,
  type FramesPacket,
} from '../../src/protocol/index.js';
import { utf8ByteLength } from '../../src/protocol/utf8.js';
import type { ConfirmedFrame, PlayerInfo, PlayerLeft } from '../../src/types.js';

/** Names up to 32 UTF-16 units, from ASCII, 2- and 3-byte characters and astral ones. */
const name = fc
  .array(fc.constantFrom('a', 'Z', '_', 'é', 'ß', '€', '名', '😀'), {
    minLength: 1,
    maxLength: Limits.usernameLength,
  })
  .map((cs) => cs.join('').slice(0, Limits.usernameLength))
  .filter(isValidUsername);

/** A Frames packet of one frame with every header field at its widest. */
function widest(frame: ConfirmedFrame): FramesPacket {
  return {
    type: MessageType.Frames,
    seq: 127,
    echoSentAt: 0xffff,
    echoDelayMs: 0xffff,
    inputAck: Limits.maxTick,
    rxLoss: 255,
    checksumAck: Limits.maxTick,
    frames: [frame],
  };
}

/** The bytes of a one-frame packet, without a budget. */
function packetBytes(frame: ConfirmedFrame, maxPlayers: number, inputSize: number): number {
  const { bytes, count } = encodeFramesPacket(widest(frame), { maxPlayers, inputSize }, 1 << 20);
  expect(count).toBe(1);
  return bytes.length;
}

/** Each join takes the first tick from the last one given with room for it (10.1). */
function spreadJoins(names: readonly string[]): number[] {
  const used = new Map<number, number>();
  let tick = 0;
  return names.map((n) => {
    const need = joinEventBytes(n);
    while ((used.get(tick) ?? 0) + need > JOIN_BYTES_PER_TICK) tick++;
    used.set(tick, (used.get(tick) ?? 0) + need);
    return tick;
  });
}

describe('utf8ByteLength', () => {
  it('counts what TextEncoder writes, lone surrogates included (property)', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(utf8ByteLength(s)).toBe(encoder.encode(s).length);
      }),
    );
    for (const s of ['', 'ann', 'é', '€', '😀', '\ud800', 'a\udc00', '\ud800\ud800', '😀\ud83d'])
      expect(utf8ByteLength(s), JSON.stringify(s)).toBe(encoder.encode(s).length);
  });
});

describe('joinEventBytes', () => {
  it('is at least what a join adds to a frame on the wire (property)', () => {
    fc.assert(
      fc.property(
        name,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 20 }),
        (username, playerId, others) => {
          const ctx = { maxPlayers: 256, inputSize: 1 };
          const inputs = new Array<Uint8Array | null>(256).fill(null);
          inputs[playerId] = Uint8Array.of(1);
          // Other joins first, so the events array may pass 15 elements and grow its header.
          const joined: PlayerInfo[] = Array.from({ length: others }, (_, i) => ({
            playerId: i,
            username: 'x',
          }));
          const before = packetBytes({ tick: Limits.maxTick, inputs, joined }, 256, 1);
          const after = packetBytes(
            { tick: Limits.maxTick, inputs, joined: [...joined, { playerId, username }] },
            ctx.maxPlayers,
            ctx.inputSize,
          );
          expect(after - before).toBeLessThanOrEqual(joinEventBytes(username));
        },
      ),
    );
  });

  it('covers the worst case: a slot of 128 or more, a 32-byte name, the 16th event of a frame', () => {
    // Found by the property above with seed -721718102: 13 bytes besides the name.
    const username = 'a€a名😀名é€😀€😀a'; // 15 UTF-16 units, 32 UTF-8 bytes: a str8 header
    const inputs = new Array<Uint8Array | null>(256).fill(null);
    inputs[128] = Uint8Array.of(1);
    const joined: PlayerInfo[] = Array.from({ length: 15 }, (_, i) => ({
      playerId: i,
      username: 'x',
    }));
    const before = packetBytes({ tick: Limits.maxTick, inputs, joined }, 256, 1);
    const after = packetBytes(
      { tick: Limits.maxTick, inputs, joined: [...joined, { playerId: 128, username }] },
      256,
      1,
    );
    expect(after - before).toBe(13 + 32);
    expect(joinEventBytes(username)).toBeGreaterThanOrEqual(after - before);
  });

  it('counts 14 bytes and the UTF-8 length of the name', () => {
    expect(joinEventBytes('ann')).toBe(17);
    expect(joinEventBytes('€')).toBe(17);
    expect(joinEventBytes('😀')).toBe(18);
    expect(joinEventBytes('x'.repeat(32))).toBe(46);
  });
});

describe('worstFramePacketBytes', () => {
  it('bounds every frame of a match: inputs, leaves, substitutions and the joins one tick may carry (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Limits.maxPlayers }),
        fc.integer({ min: 1, max: Limits.maxInputSize }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(name, { maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (maxPlayers, inputSize, share, names, seed) => {
          // Slots below `present` have an input (a new one each: nothing repeats), the others
          // leave at this tick; joins go to slots with an input, within the bytes of one tick.
          const present = Math.round(share * maxPlayers);
          let s = seed;
          const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) & 0xff;
          const inputs = Array.from({ length: maxPlayers }, (_, slot) =>
            slot < present ? Uint8Array.from({ length: inputSize }, rnd) : null,
          );
          const left: PlayerLeft[] = [];
          for (let slot = present; slot < maxPlayers; slot++)
            left.push({ playerId: slot, username: '', reason: 'error' });
          const joined: PlayerInfo[] = [];
          let joinBytes = 0;
          for (const username of names) {
            if (joined.length >= present) break;
            if (joinBytes + joinEventBytes(username) > JOIN_BYTES_PER_TICK) break;
            joinBytes += joinEventBytes(username);
            joined.push({ playerId: joined.length, username });
          }
          // Every slot with an input has it substituted (all of them away but one).
          const substituted = Array.from({ length: present }, (_, slot) => slot);
          const frame: ConfirmedFrame = {
            tick: Limits.maxTick,
            inputs,
            ...(joined.length > 0 ? { joined } : {}),
            ...(left.length > 0 ? { left } : {}),
            ...(substituted.length > 0 ? { substituted } : {}),
          };
          expect(packetBytes(frame, maxPlayers, inputSize)).toBeLessThanOrEqual(
            worstFramePacketBytes(maxPlayers, inputSize),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fits the default budget for 256 one-byte players and 8 players of 64 bytes', () => {
    expect(worstFramePacketBytes(256, 1)).toBeLessThanOrEqual(Limits.datagramBytes);
    expect(worstFramePacketBytes(8, 64)).toBeLessThanOrEqual(Limits.datagramBytes);
    expect(worstFramePacketBytes(256, 4)).toBeGreaterThan(Limits.datagramBytes);
    // The formula of docs/protocol.md section 2 (with a substitution event naming every slot).
    for (const [n, size] of [
      [4, 2],
      [64, 8],
      [256, 1],
    ])
      expect(worstFramePacketBytes(n, size)).toBe(
        Math.ceil((n + 1 + n * (1 + 8 * size)) / 8) + 2 * Math.ceil(n / 8) + 386,
      );
  });
});

describe('maxJoinSpreadTicks', () => {
  it('bounds how far a burst of joins, one per slot, is spread (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: Limits.maxPlayers })
          .chain((n) => fc.array(name, { minLength: n, maxLength: n })),
        (names) => {
          const ticks = spreadJoins(names);
          expect(ticks[ticks.length - 1] + 1).toBeLessThanOrEqual(maxJoinSpreadTicks(names.length));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is reached by every slot joining with the longest names', () => {
    for (const n of [1, 2, 3, 64, 255, 256]) {
      const ticks = spreadJoins(new Array<string>(n).fill('€'.repeat(Limits.usernameLength)));
      expect(ticks[ticks.length - 1] + 1).toBe(maxJoinSpreadTicks(n));
    }
    expect(maxJoinSpreadTicks(256)).toBe(128);
    // Short names pack many joins into a tick: 18 of 16 bytes in 300.
    expect(spreadJoins(new Array<string>(22).fill('ab'))).toEqual([
      ...new Array<number>(18).fill(0),
      ...new Array<number>(4).fill(1),
    ]);
  });
});
