// msgpack sizes of values, counted without encoding them: how packets are filled to a budget.
import { utf8ByteLength } from './utf8.js';

/** msgpack size of a non-negative integer (or -1). */
export function intBytes(n: number): number {
  if (n >= -32 && n < 128) return 1;
  if (n < 0) return n >= -128 ? 2 : n >= -32768 ? 3 : n >= -2147483648 ? 5 : 9;
  return n < 256 ? 2 : n < 65536 ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** msgpack size of a bin header for `len` bytes. */
export function binHeaderBytes(len: number): number {
  return len < 256 ? 2 : len < 65536 ? 3 : 5;
}

/** msgpack size of a str, header and UTF-8 bytes. */
export function strBytes(s: string): number {
  const len = utf8ByteLength(s);
  return (len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5) + len;
}

/** msgpack size of an array header for `len` elements. */
export function arrayHeaderBytes(len: number): number {
  return len < 16 ? 1 : len < 65536 ? 3 : 5;
}
