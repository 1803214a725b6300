// The baseline of the wire-size figures: the same packet content, encoded naively.

import { encode } from '@msgpack/msgpack';

/**
 * The content as plain arrays: every object becomes the array of its values (in field
 * order), every byte array the array of its numbers. Nothing is compressed or packed.
 */
export function toPlain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object')
    return Object.values(value)
      .filter((v) => v !== undefined)
      .map(toPlain);
  return value;
}

/** Bytes of `msgpack.encode` of the decoded packet as plain arrays of numbers. */
export function naiveSize(decoded: unknown): number {
  return encode(toPlain(decoded)).length;
}
