// Field checks of the decoders: every value from the network is validated before it is trusted.
import { DecodeError } from '../errors.js';
import { Limits } from './messages.js';

/** Throws the DecodeError of a field that is not valid. */
export function fail(message: string): never {
  throw new DecodeError('bad-field', message);
}

/** An integer in 0..max. */
export function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    fail(`${what} must be an integer in 0..${max}`);
  return v;
}

/** Not 0. */
export function positive(n: number, what: string): number {
  if (n === 0) fail(`${what} must not be 0`);
  return n;
}

/** An acknowledgement: an integer in -1..maxTick. */
export function ackTick(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v > Limits.maxTick)
    fail(`${what} must be an integer in -1..${Limits.maxTick}`);
  return v;
}

/** A string of at most `maxLength` UTF-16 units. */
export function str(v: unknown, maxLength: number, what: string, allowEmpty = true): string {
  if (typeof v !== 'string') fail(`${what} must be a string`);
  if (v.length > maxLength) fail(`${what} is over ${maxLength} characters`);
  if (!allowEmpty && v.length === 0) fail(`${what} must not be empty`);
  return v;
}

/** Bytes, at most `maxLength`, as a plain Uint8Array. */
export function bin(v: unknown, maxLength: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${what} must be bytes`);
  if (v.length > maxLength) fail(`${what} is over ${maxLength} bytes`);
  // A plain Uint8Array view (msgpack hands out a Buffer when it decoded one): the same type
  // whatever transport the bytes came over.
  return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.length);
}

/** A transport signal: 1 .. maxSignalBytes opaque bytes. */
export function signal(v: unknown): Uint8Array {
  const data = bin(v, Limits.maxSignalBytes, 'signal');
  if (data.length === 0) fail('signal must not be empty');
  return data;
}

/** One of the strings `allowed`. */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    fail(`${what} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** Exactly `n` elements. */
export function arity(body: unknown[], n: number, name: string): void {
  if (body.length !== n) fail(`${name} must have ${n} fields, has ${body.length}`);
}

/** Usernames: 1..32 characters, no control characters. */
export function isValidUsername(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= Limits.usernameLength &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}

/** A valid username (see isValidUsername). */
export function username(v: unknown, what: string): string {
  const name = str(v, Limits.usernameLength, what, false);
  if (!isValidUsername(name)) fail(`${what} has control characters`);
  return name;
}
