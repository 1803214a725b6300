// The frames bit field, shared by the Frames packet and the replay's Frames chunk: presence masks, then each slot's inputs.
import { DecodeError } from '../errors.js';
import type { ConfirmedFrame } from '../types.js';
import type { BitReader, BitWriter } from './bits.js';
import { readInputSequence, writeInputSequence } from './inputCompression.js';

/**
 * Checks that `frame` is the frame of `tick` and fits the context (`maxPlayers` slots, each
 * input `inputSize` bytes), and returns its presence mask: a bit per slot with an input,
 * slot 0 the high bit of byte 0.
 *
 * @throws {RangeError} If the frame is not at `tick`, or does not fit the context.
 */
export function framePresenceMask(
  frame: ConfirmedFrame,
  tick: number,
  maxPlayers: number,
  inputSize: number,
): Uint8Array {
  if (frame.tick !== tick) throw new RangeError('frames are not consecutive');
  if (frame.inputs.length !== maxPlayers)
    throw new RangeError(`frame ${frame.tick} has ${frame.inputs.length} slots, not ${maxPlayers}`);
  const mask = new Uint8Array((maxPlayers + 7) >>> 3);
  for (let slot = 0; slot < maxPlayers; slot++) {
    const input = frame.inputs[slot];
    if (input == null) continue;
    if (input.length !== inputSize)
      throw new RangeError(`input of slot ${slot} at tick ${frame.tick} is not ${inputSize} bytes`);
    mask[slot >>> 3] |= 0x80 >>> (slot & 7);
  }
  return mask;
}

/**
 * Appends the bit field of the first `masks.length` of `frames` to `writer`: the frames'
 * presence masks as one compressed sequence, then, slot by slot, the inputs present in those
 * frames as one compressed sequence of `inputSize * 8` bits each.
 *
 * @param frames The frames, from the first one; only the first `masks.length` are written.
 * @param masks Each frame's presence mask, a bit per slot (slot 0 the high bit of byte 0).
 */
export function writeFramesBits(
  writer: BitWriter,
  frames: readonly ConfirmedFrame[],
  masks: readonly Uint8Array[],
  maxPlayers: number,
  inputSize: number,
): void {
  const count = masks.length;
  writeInputSequence(writer, masks, maxPlayers);
  const slotInputs: Uint8Array[] = [];
  for (let slot = 0; slot < maxPlayers; slot++) {
    slotInputs.length = 0;
    for (let i = 0; i < count; i++) {
      const input = frames[i].inputs[slot];
      if (input != null) slotInputs.push(input);
    }
    writeInputSequence(writer, slotInputs, inputSize * 8);
  }
}

/**
 * Reads the bit field `writeFramesBits` wrote for `count` frames, to its end: each frame's
 * inputs by slot, `null` where the slot has none. Throws `DecodeError` if the bits run out,
 * are malformed or are left over.
 */
export function readFramesBits(
  reader: BitReader,
  count: number,
  maxPlayers: number,
  inputSize: number,
): (Uint8Array | null)[][] {
  return readFramesBitsFrom(reader, count, maxPlayers, inputSize, 0).inputs;
}

/**
 * Reads the bit field of `count` frames as `readFramesBits` does, checking all of it, but
 * copies out the inputs of the frames from index `skip` on only: the inputs of the frames
 * before are passed over (a receiver that already holds those frames).
 *
 * @returns Every frame's presence mask, and the inputs of frames `skip .. count - 1`
 * (`inputs[0]` is frame `skip`).
 */
export function readFramesBitsFrom(
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
  // Each slot's compressed sequence (7.4) read in place, straight into the frames: the values
  // of frames before `first` are passed over, only where the last one written in full is
  // remembered (a repeat after them needs it).
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
        } else if (lastFull < 0) throw startsWithRepeat();
        continue;
      }
      let value: Uint8Array;
      if (full) value = prev = reader.readBits(bitLength, inputSize);
      else if (prev !== undefined) value = prev.slice();
      else if (lastFull >= 0) value = prev = reader.readBitsAt(lastFull, bitLength, inputSize);
      else throw startsWithRepeat();
      inputs[i - first][slot] = value;
    }
  }
  reader.expectEnd();
  return { masks, inputs };
}

/** The error of a compressed sequence whose first value is a repeat (7.2). */
function startsWithRepeat(): DecodeError {
  return new DecodeError('bad-field', 'compressed inputs start with a repeat');
}
