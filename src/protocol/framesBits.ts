// The frames bit field, shared by the Frames packet and the replay's Frames chunk: presence masks, then each slot's inputs.
import { DecodeError } from '../errors.js';
import type { ConfirmedFrame } from '../types.js';
import type { BitReader, BitWriter } from './bits.js';
import { pooledBytes } from './bytePool.js';
import { writeInputSequence } from './inputCompression.js';

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

/** A frames bit field as `readFramesBitsFrom` read it. */
export interface FramesBits {
  /**
   * Every frame's presence mask, `maskBytes` bytes each, one after the other: frame i's
   * slot s is present when bit `0x80 >>> (s & 7)` of byte `i * maskBytes + (s >>> 3)` is set.
   */
  readonly masks: Uint8Array;
  /** Bytes of one presence mask: `ceil(maxPlayers / 8)`. */
  readonly maskBytes: number;
  /** The inputs of the frames from `skip` on (`inputs[0]` is frame `skip`). */
  readonly inputs: (Uint8Array | null)[][];
}

/** Bits set in each byte value. */
const BITS_SET = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v !== 0; v &= v - 1) n++;
  return n;
});

/**
 * Reads the bit field of `count` frames as `readFramesBits` does, checking all of it, but
 * copies out the inputs of the frames from index `skip` on only: the inputs of the frames
 * before are passed over (a receiver that already holds those frames).
 *
 * The inputs of one frame are views of one buffer of that frame's own, each over bytes of
 * its own (a repeat is a copy, never shared): one allocation per frame, not per input.
 */
export function readFramesBitsFrom(
  reader: BitReader,
  count: number,
  maxPlayers: number,
  inputSize: number,
  skip: number,
): FramesBits {
  const maskBytes = (maxPlayers + 7) >>> 3;
  // The presence masks' compressed sequence (7.2), each read into its place.
  const masks = new Uint8Array(count * maskBytes);
  for (let i = 0, at = 0; i < count; i++, at += maskBytes) {
    if (reader.readBit() === 1) reader.readBits(maxPlayers, maskBytes, masks, at);
    else if (i === 0) throw startsWithRepeat();
    else for (let b = 0; b < maskBytes; b++) masks[at + b] = masks[at - maskBytes + b];
  }
  const first = Math.min(Math.max(skip, 0), count);
  const kept = count - first;
  // Every input the masks name costs at least a bit (a repeat): more of them than bits left
  // cannot be, and is refused before anything is allocated for them (the masks cost a bit a
  // frame, so 1,400 bytes could otherwise name 4096 frames of 256 inputs).
  let named = 0;
  for (let at = 0; at < count * maskBytes; at++) named += BITS_SET[masks[at]];
  if (named > reader.remaining) throw overrun();
  // Each kept frame's bytes hold its inputs in slot order (a region of a shared block:
  // pooledBytes); `filled` is how far they are written.
  const arrays: ArrayBufferLike[] = new Array<ArrayBufferLike>(kept);
  const offsets = new Int32Array(kept);
  const buffers: Uint8Array[] = new Array<Uint8Array>(kept);
  const filled = new Int32Array(kept);
  const inputs: (Uint8Array | null)[][] = new Array<(Uint8Array | null)[]>(kept);
  for (let k = 0; k < kept; k++) {
    let present = 0;
    const at = (first + k) * maskBytes;
    for (let b = 0; b < maskBytes; b++) present += BITS_SET[masks[at + b]];
    const region = pooledBytes(present * inputSize);
    buffers[k] = region;
    arrays[k] = region.buffer;
    offsets[k] = region.byteOffset;
    inputs[k] = new Array<Uint8Array | null>(maxPlayers).fill(null);
  }
  const bitLength = inputSize * 8;
  // Each slot's compressed sequence (7.4) read in place, straight into the frames: the values
  // of frames before `first` are passed over, only where the last one written in full is
  // remembered (a repeat after them needs it).
  const source = reader.source;
  const total = reader.bitLength;
  for (let slot = 0; slot < maxPlayers; slot++) {
    const bit = 0x80 >>> (slot & 7);
    const byte = slot >>> 3;
    // The frames held already: their values passed over, read here from the bytes (every
    // packet repeats them: the most of the bits of a packet, often).
    let lastFull = -1;
    let pos = reader.position;
    for (let i = 0; i < first; i++) {
      if ((masks[i * maskBytes + byte] & bit) === 0) continue;
      if (pos >= total) throw overrun();
      if ((source[pos >>> 3] & (0x80 >>> (pos & 7))) === 0) {
        if (lastFull < 0) throw startsWithRepeat();
        pos += 1;
      } else {
        if (bitLength > total - pos - 1) throw overrun();
        lastFull = pos + 1;
        pos += 1 + bitLength;
      }
    }
    reader.seek(pos);
    // Where the slot's last value kept was written, if one was.
    let prev: Uint8Array | undefined;
    let prevAt = 0;
    for (let i = first; i < count; i++) {
      if ((masks[i * maskBytes + byte] & bit) === 0) continue;
      const full = reader.readBit() === 1;
      const k = i - first;
      const buffer = buffers[k];
      const at = filled[k];
      if (full) reader.readBits(bitLength, inputSize, buffer, at);
      else if (prev !== undefined)
        for (let b = 0; b < inputSize; b++) buffer[at + b] = prev[prevAt + b];
      else if (lastFull >= 0) reader.readBitsAt(lastFull, bitLength, inputSize, buffer, at);
      else throw startsWithRepeat();
      prev = buffer;
      prevAt = at;
      filled[k] = at + inputSize;
      // (The ArrayBuffer kept at hand: reading `buffer.buffer` is a call, as dear as the view.)
      inputs[k][slot] = new Uint8Array(arrays[k], offsets[k] + at, inputSize);
    }
  }
  reader.expectEnd();
  return { masks, maskBytes, inputs };
}

/** The error of bits that run out (as the reader's own). */
function overrun(): DecodeError {
  return new DecodeError('bad-field', 'bit field ends early');
}

/** The error of a compressed sequence whose first value is a repeat (7.2). */
function startsWithRepeat(): DecodeError {
  return new DecodeError('bad-field', 'compressed inputs start with a repeat');
}
