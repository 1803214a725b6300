import { DecodeError } from '../errors.js';
import { BitReader, BitWriter } from './bits.js';

/**
 * The input compression of the original library, for a sequence of fixed-size bit fields:
 * an input that differs from the one before is written as a 1 bit followed by its bits;
 * an input equal to the one before is a single 0 bit. The first input is always written.
 *
 * Inputs are `Uint8Array`s; an input of `bitLength` bits is read from the most significant
 * bit of byte 0 on. Bits past `bitLength` in the last byte are ignored when comparing and
 * writing, and zero when reading.
 */

/** True when the first `bitLength` bits of `a` and `b` are equal. */
export function sameBits(a: Uint8Array, b: Uint8Array, bitLength: number): boolean {
  const full = bitLength >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bitLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full] ^ b[full]) & mask) === 0;
}

/** Appends a compressed sequence to `writer`. */
export function writeInputSequence(
  writer: BitWriter,
  inputs: readonly Uint8Array[],
  bitLength: number,
): void {
  let prev: Uint8Array | undefined;
  for (const input of inputs) {
    if (prev !== undefined && sameBits(prev, input, bitLength)) {
      writer.writeBit(0);
    } else {
      writer.writeBit(1);
      writer.writeBits(input, bitLength);
    }
    prev = input;
  }
}

/** Bits that `writeInputSequence` would write for `input` after `prev` (or first). */
export function compressedBitCost(
  prev: Uint8Array | undefined,
  input: Uint8Array,
  bitLength: number,
): number {
  return prev !== undefined && sameBits(prev, input, bitLength) ? 1 : 1 + bitLength;
}

/**
 * Reads `count` inputs of `bitLength` bits written by `writeInputSequence`. Each returned
 * input is its own array of `ceil(bitLength / 8)` bytes (a repeat is a copy, never shared).
 * Throws `DecodeError` if the bits run out or the first input is a repeat.
 */
export function readInputSequence(
  reader: BitReader,
  count: number,
  bitLength: number,
): Uint8Array[] {
  const byteLength = (bitLength + 7) >>> 3;
  const out: Uint8Array[] = [];
  let prev: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    if (reader.readBit() === 1) {
      prev = reader.readBits(bitLength, byteLength);
      out.push(prev);
    } else {
      if (prev === undefined) {
        throw new DecodeError('bad-field', 'compressed inputs start with a repeat');
      }
      out.push(prev.slice());
    }
  }
  return out;
}

/** Compresses a whole sequence into bytes (zero-padded to a whole byte). */
export function compressInputs(inputs: readonly Uint8Array[], bitLength: number): Uint8Array {
  const writer = new BitWriter(Math.max(1, Math.ceil((inputs.length * (bitLength + 1)) / 8)));
  writeInputSequence(writer, inputs, bitLength);
  return writer.toBytes();
}

/** The inverse of `compressInputs`, for `count` inputs; rejects left-over bits. */
export function decompressInputs(
  bytes: Uint8Array,
  count: number,
  bitLength: number,
): Uint8Array[] {
  const reader = new BitReader(bytes);
  const out = readInputSequence(reader, count, bitLength);
  reader.expectEnd();
  return out;
}
