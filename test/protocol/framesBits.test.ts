// The frames bit field's reader against the straightforward one it replaced (issue 19): the same frames, the same refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { BitReader, BitWriter } from '../../src/protocol/bits.js';
import {
  framePresenceMask,
  readFramesBits,
  readFramesBitsFrom,
  writeFramesBits,
} from '../../src/protocol/framesBits.js';
import { readInputSequence } from '../../src/protocol/inputCompression.js';
import type { ConfirmedFrame } from '../../src/types.js';

/**
 * The reader as it was before issue 19: the masks as a compressed sequence of their own
 * arrays, then each slot's inputs, each one copied out into an array of its own.
 */
function referenceRead(
  reader: BitReader,
  count: number,
  maxPlayers: number,
  inputSize: number,
  skip: number,
): { masks: Uint8Array[]; inputs: (Uint8Array | null)[][] } {
  const masks = readInputSequence(reader, count, maxPlayers);
  const first = Math.min(Math.max(skip, 0), count);
  const inputs: (Uint8Array | null)[][] = [];
  for (let i = first; i < count; i++)
    inputs.push(new Array<Uint8Array | null>(maxPlayers).fill(null));
  const bitLength = inputSize * 8;
  for (let slot = 0; slot < maxPlayers; slot++) {
    const bit = 0x80 >>> (slot & 7);
    const byte = slot >>> 3;
    let lastFull = -1;
    let prev: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      if ((masks[i][byte] & bit) === 0) continue;
      const full = reader.readBit() === 1;
      if (i < first) {
        if (full) {
          lastFull = reader.position;
          reader.skip(bitLength);
        } else if (lastFull < 0) throw new DecodeError('bad-field', 'starts with a repeat');
        continue;
      }
      let value: Uint8Array;
      if (full) value = prev = reader.readBits(bitLength, inputSize);
      else if (prev !== undefined) value = prev.slice();
      else if (lastFull >= 0) value = prev = reader.readBitsAt(lastFull, bitLength, inputSize);
      else throw new DecodeError('bad-field', 'starts with a repeat');
      inputs[i - first][slot] = value;
    }
  }
  reader.expectEnd();
  return { masks, inputs };
}

/** A context and frames of it, few distinct inputs (so that repeats are common). */
const caseArb = fc
  .record({
    maxPlayers: fc.integer({ min: 1, max: 20 }),
    inputSize: fc.integer({ min: 1, max: 3 }),
    count: fc.integer({ min: 0, max: 10 }),
  })
  .chain(({ maxPlayers, inputSize, count }) =>
    fc.record({
      maxPlayers: fc.constant(maxPlayers),
      inputSize: fc.constant(inputSize),
      frames: fc.array(
        fc.array(
          fc.option(
            fc.constantFrom(0, 1, 0xa5, 0xff).map((b) => new Uint8Array(inputSize).fill(b)),
            { nil: null, freq: 3 },
          ),
          { minLength: maxPlayers, maxLength: maxPlayers },
        ),
        { minLength: count, maxLength: count },
      ),
      skip: fc.integer({ min: -2, max: count + 2 }),
    }),
  );

/** The bit field of `frames` as `writeFramesBits` writes it. */
function fieldOf(frames: (Uint8Array | null)[][], maxPlayers: number, inputSize: number) {
  const confirmed: ConfirmedFrame[] = frames.map((inputs, tick) => ({ tick, inputs }));
  const masks = confirmed.map((f) => framePresenceMask(f, f.tick, maxPlayers, inputSize));
  const writer = new BitWriter(16);
  writeFramesBits(writer, confirmed, masks, maxPlayers, inputSize);
  return writer.toBytes();
}

/** What a read of `bytes` gives: the masks one per frame and the inputs, or the error. */
function outcome(
  read: typeof referenceRead,
  bytes: Uint8Array,
  count: number,
  maxPlayers: number,
  inputSize: number,
  skip: number,
): { masks: Uint8Array[]; inputs: (Uint8Array | null)[][] } | string {
  try {
    return read(new BitReader(bytes), count, maxPlayers, inputSize, skip);
  } catch (err) {
    if (err instanceof DecodeError) return 'DecodeError';
    throw err;
  }
}

/** `readFramesBitsFrom` with its masks one array per frame, as the reference gives them. */
const current: typeof referenceRead = (reader, count, maxPlayers, inputSize, skip) => {
  const { masks, maskBytes, inputs } = readFramesBitsFrom(
    reader,
    count,
    maxPlayers,
    inputSize,
    skip,
  );
  expect(masks.length).toBe(count * maskBytes);
  expect(maskBytes).toBe((maxPlayers + 7) >>> 3);
  const perFrame = Array.from({ length: count }, (_, i) =>
    masks.slice(i * maskBytes, (i + 1) * maskBytes),
  );
  return { masks: perFrame, inputs };
};

describe('readFramesBitsFrom', () => {
  it('reads what writeFramesBits wrote, as the reader before it did (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ maxPlayers, inputSize, frames, skip }) => {
        const bytes = fieldOf(frames, maxPlayers, inputSize);
        const got = outcome(current, bytes, frames.length, maxPlayers, inputSize, skip);
        const want = outcome(referenceRead, bytes, frames.length, maxPlayers, inputSize, skip);
        expect(got).toEqual(want);
        expect(got).not.toBe('DecodeError');
        if (typeof got !== 'string')
          expect(got.inputs).toEqual(frames.slice(Math.min(Math.max(skip, 0), frames.length)));
      }),
    );
  });

  it('refuses what the reader before it refused, and reads the rest the same (property)', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: -1, max: 2 }),
        ({ maxPlayers, inputSize, frames, skip }, flips, resize, countDelta) => {
          const good = fieldOf(frames, maxPlayers, inputSize);
          // Cut short, or a byte or two more (zero or not), then bytes flipped.
          const bytes = new Uint8Array(Math.max(0, good.length + resize));
          bytes.set(good.subarray(0, bytes.length));
          if (resize > 0) bytes.fill(resize === 1 ? 0 : 0x40, good.length);
          if (bytes.length > 0) for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
          const count = Math.max(0, frames.length + countDelta);
          expect(outcome(current, bytes, count, maxPlayers, inputSize, skip)).toEqual(
            outcome(referenceRead, bytes, count, maxPlayers, inputSize, skip),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives every input bytes of its own (views into shared blocks, never overlapping)', () => {
    const a = Uint8Array.of(1, 2);
    const frames = [
      [a, a, null, Uint8Array.of(3, 4)],
      [a, a, a, null],
    ];
    const inputs = readFramesBits(new BitReader(fieldOf(frames, 4, 2)), 2, 4, 2);
    expect(inputs).toEqual(frames);
    const all = inputs.flat().filter((x): x is Uint8Array => x !== null);
    expect(new Set(all).size).toBe(all.length);
    // Writing one input changes no other.
    for (const input of all) input.fill(0xee);
    all[0][0] = 7;
    expect(all.slice(1).every((x) => x[0] === 0xee && x[1] === 0xee)).toBe(true);
    // Views into a shared block (pooledBytes): none overlaps another.
    for (const x of all)
      for (const y of all)
        if (x !== y && x.buffer === y.buffer)
          expect(
            x.byteOffset + x.length <= y.byteOffset || y.byteOffset + y.length <= x.byteOffset,
          ).toBe(true);
  });
});

describe('readFramesBitsFrom, bounds', () => {
  it('refuses masks that name more inputs than bits are left before allocating for them', () => {
    // One full mask of 256 slots, then 4,095 repeats of it (a bit each), then no input bits:
    // 4,096 frames of 256 inputs named by 545 bytes.
    const w = new BitWriter(1024);
    w.writeBit(1);
    w.writeBits(new Uint8Array(32).fill(0xff), 256);
    for (let i = 1; i < 4096; i++) w.writeBit(0);
    const bytes = w.toBytes();
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readFramesBitsFrom(new BitReader(bytes), 4096, 256, 64, 0)).toThrow(DecodeError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });
});
