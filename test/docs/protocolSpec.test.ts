/**
 * docs/protocol.md, checked: a decoder written from the document alone (its own framing, header
 * and bit-field parsing, its own reading of every message and of the Node transport's framing
 * and signal; only the msgpack layer comes from @msgpack/msgpack) decodes packets captured from
 * a real server and three clients on the Node transport, messages made by the real encoders,
 * and the worked examples of the document. What it decodes must be what the library decoded,
 * sent and delivered: frames, with the names of the players leaving filled in from its own
 * table of who is in each slot (section 7.6), must be what each client's `frames$` delivered.
 *
 * Capture: the test wraps `dgram.Socket.prototype.send` and `net.Socket.prototype.write` for the
 * duration of a test and records every datagram and TCP write the library makes, with the local
 * and remote ports.
 */
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type NetworkEvent,
} from '../../src/node.js';
import {
  MessageType,
  decodeClientTcp,
  decodeClientUdp,
  decodeServerTcp,
  decodeServerUdp,
  encodeFramesPacket,
  encodeInputsPacket,
  encodeMessage,
  encodeCatchUp,
  type Message,
} from '../../src/protocol/index.js';
import {
  DatagramOpener,
  DatagramSealer,
  Direction,
} from '../../src/transport/node/datagramSeal.js';
import { decodeUdpSignal } from '../../src/transport/node/udpSignal.js';
import { referenceSipHash } from '../helpers/referenceSipHash.js';
import { waitFor } from '../helpers/waitFor.js';

// ---------------------------------------------------------------------------------------
// The decoder, from docs/protocol.md. Section numbers refer to the document.

/** A value the document says is invalid. */
class SpecError extends Error {
  override name = 'SpecError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SpecError(message);
}

/** What the bit fields need (section 1): fixed at the join, from JoinAccepted. */
interface Ctx {
  readonly inputSize: number;
  readonly maxPlayers: number;
}

/** Section 7.1: bits most significant first; reading past the end is invalid. */
class SpecBits {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  bit(): number {
    check(this.pos < this.bytes.length * 8, 'bit field ends early');
    const b = (this.bytes[this.pos >> 3] >> (7 - (this.pos % 8))) & 1;
    this.pos++;
    return b;
  }

  /** `n` bits into `ceil(n / 8)` bytes, the first bit read as bit 7 of byte 0. */
  value(n: number): Uint8Array {
    const out = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (this.bit()) out[i >> 3] |= 0x80 >> (i % 8);
    return out;
  }

  /** 0 to 7 bits of zero padding left, nothing more. */
  end(): void {
    const left = this.bytes.length * 8 - this.pos;
    check(left < 8, `${left} bits left over`);
    while (this.pos < this.bytes.length * 8) check(this.bit() === 0, 'non-zero padding');
  }
}

/** Section 7.2: `n` values of `b` bits; 1 + bits for a new value, 0 for a repeat. */
function sequence(bits: SpecBits, n: number, b: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (bits.bit() === 1) out.push(bits.value(b));
    else {
      check(i > 0, 'a sequence starts with a repeat');
      out.push(out[i - 1].slice());
    }
  }
  return out;
}

// Field types of section 3.
const U32 = 0xffffffff;
function uint(v: unknown, max: number, what: string): number {
  check(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max, `${what}: 0..${max}`);
  return v;
}
function ack(v: unknown, what: string): number {
  check(typeof v === 'number' && Number.isInteger(v) && v >= -1 && v <= U32, `${what}: -1..`);
  return v;
}
function tickRate(v: unknown): number {
  const r = uint(v, 1000, 'tickRate');
  check(r >= 1, 'tickRate: 1..1000');
  return r;
}
function str(v: unknown, max: number, what: string): string {
  check(typeof v === 'string' && v.length <= max, `${what}: a str of at most ${max}`);
  return v;
}
function username(v: unknown, what: string): string {
  const s = str(v, 32, what);
  // eslint-disable-next-line no-control-regex
  check(s.length >= 1 && !/[\u0000-\u001f\u007f]/.test(s), `${what}: 1..32, no controls`);
  return s;
}
function bin(v: unknown, max: number, what: string): Uint8Array {
  check(v instanceof Uint8Array && v.length <= max, `${what}: a bin of at most ${max}`);
  return v;
}
function array(v: unknown, max: number, what: string): unknown[] {
  check(Array.isArray(v) && v.length <= max, `${what}: an array of at most ${max}`);
  return v as unknown[];
}
function oneOf(v: unknown, allowed: readonly string[], what: string): string {
  check(typeof v === 'string' && allowed.includes(v), `${what}: one of ${allowed.join(' ')}`);
  return v;
}
function fields(b: unknown[], ...counts: number[]): void {
  check(counts.includes(b.length), `${b.length} elements, not ${counts.join(' or ')}`);
}

const REFUSE = [
  'bad-credentials',
  'server-full',
  'duplicate-name',
  'version-mismatch',
  'bad-request',
  'server-closing',
  'bad-token',
];
const LEAVE_REASONS = ['left', 'timeout', 'kicked', 'error']; // section 7.5
const GOODBYE = [...LEAVE_REASONS, 'server-closing', 'ready-timeout'];

/** Section 3: magic, version, one msgpack array with an integer tag first. */
function envelope(bytes: Uint8Array, maxBytes: number): unknown[] {
  check(bytes.length <= maxBytes, 'too large');
  check(bytes.length >= 4, 'too short');
  check(bytes[0] === 0x47 && bytes[1] === 0x4e, 'magic');
  check(bytes[2] === 3, 'version');
  let body: unknown;
  try {
    body = decode(bytes.subarray(3)); // throws on bytes left over
  } catch (err) {
    throw new SpecError(`not one msgpack value: ${String(err)}`);
  }
  check(Array.isArray(body) && body.length > 0, 'body is not a non-empty array');
  const items = body as unknown[];
  check(typeof items[0] === 'number' && Number.isInteger(items[0]), 'tag');
  return items;
}

type Channel = 'tcp-to-server' | 'tcp-to-client' | 'udp-to-server' | 'udp-to-client';
type Spec = { readonly name: string } & Record<string, unknown>;

/** The number of elements of a message's body, or -1 if it is not a valid envelope. */
function fieldCount(bytes: Uint8Array): number {
  try {
    return envelope(bytes, 1400).length;
  } catch {
    return -1;
  }
}

/** Decodes one message of `channel`, by the document. */
function specDecode(bytes: Uint8Array, channel: Channel, ctx?: Ctx): Spec {
  const b = envelope(
    bytes,
    channel === 'tcp-to-server' || channel === 'tcp-to-client' ? 65536 : 1400,
  );
  const tag = b[0];
  if (channel === 'tcp-to-server') {
    switch (tag) {
      case 1: // 5.1
      case 9: // 5.17: the same fields as Join
        fields(b, 4);
        return {
          name: tag === 1 ? 'Join' : 'Watch',
          protocolVersion: uint(b[1], 255, 'protocolVersion'),
          username: username(b[2], 'username'),
          password: str(b[3], 128, 'password'),
        };
      case 2: // 5.2
        fields(b, 2);
        return { name: 'Chat', text: str(b[1], 500, 'text') };
      case 3: // 5.3
        fields(b, 1);
        return { name: 'Leave' };
      case 4: // 5.4
        fields(b, 3);
        return { name: 'Snapshot', tick: uint(b[1], U32, 'tick'), data: bin(b[2], 60000, 'data') };
      case 5: // 5.10
        return specSignal(b, 'SignalToServer');
      case 6: // 5.11
        fields(b, 1);
        return { name: 'Ready' };
      case 7: {
        // 5.15
        fields(b, 4);
        const token = bin(b[2], 16, 'token');
        check(token.length === 16, 'token: exactly 16 bytes');
        return {
          name: 'Reconnect',
          protocolVersion: uint(b[1], 255, 'protocolVersion'),
          token,
          lastTick: ack(b[3], 'lastTick'),
        };
      }
      case 8: // 5.16
        fields(b, 3);
        return {
          name: 'SnapshotOffer',
          tick: uint(b[1], U32, 'tick'),
          data: bin(b[2], 60000, 'data'),
        };
    }
  } else if (channel === 'tcp-to-client') {
    switch (tag) {
      case 10: {
        // 5.5
        fields(b, 9);
        const maxPlayers = uint(b[4], 256, 'maxPlayers');
        check(maxPlayers >= 1, 'maxPlayers >= 1');
        const inputSize = uint(b[3], 64, 'inputSize');
        check(inputSize >= 1, 'inputSize >= 1');
        const reconnectToken = bin(b[5], 16, 'reconnectToken');
        check(reconnectToken.length === 16, 'reconnectToken: exactly 16 bytes');
        const msg: Spec = {
          name: 'JoinAccepted',
          playerId: uint(b[1], maxPlayers - 1, 'playerId'),
          tickRate: tickRate(b[2]),
          inputSize,
          maxPlayers,
          reconnectToken,
          firstTick: uint(b[6], U32, 'firstTick'),
          players: specPlayers(b[7], maxPlayers),
        };
        if (b[8] !== null) msg.snapshot = bin(b[8], 60000, 'snapshot'); // bin or nil
        return msg;
      }
      case 23: {
        // 5.17
        fields(b, 8);
        const maxPlayers = uint(b[3], 256, 'maxPlayers');
        check(maxPlayers >= 1, 'maxPlayers >= 1');
        const inputSize = uint(b[2], 64, 'inputSize');
        check(inputSize >= 1, 'inputSize >= 1');
        const msg: Spec = {
          name: 'WatchAccepted',
          tickRate: tickRate(b[1]),
          inputSize,
          maxPlayers,
          firstTick: uint(b[4], U32, 'firstTick'),
          players: specPlayers(b[5], maxPlayers),
          delayTicks: uint(b[7], U32, 'delayTicks'),
        };
        if (b[6] !== null) msg.snapshot = bin(b[6], 60000, 'snapshot'); // bin or nil
        return msg;
      }
      case 16: // 5.12
      case 18: // 5.14
      case 19: // 5.16
        fields(b, 2);
        return {
          name: tag === 16 ? 'Seated' : tag === 18 ? 'CaughtUp' : 'SnapshotRequest',
          tick: uint(b[1], U32, 'tick'),
        };
      case 17: {
        // 5.13: fields 7 to 10 of Frames, within the reliable channel's limits.
        check(ctx !== undefined, 'the bit fields need inputSize and maxPlayers');
        fields(b, 5);
        const run = specRun(b[1], b[2], b[3], b[4], ctx, 65536);
        return { name: 'CatchUp', ...run };
      }
      case 11: // 5.6
        fields(b, 2);
        return { name: 'JoinRefused', reason: oneOf(b[1], REFUSE, 'reason') };
      case 12: // 5.7
        fields(b, 3);
        return { name: 'ChatBroadcast', from: str(b[1], 32, 'from'), text: str(b[2], 500, 'text') };
      case 13: // 5.8
        fields(b, 3);
        return {
          name: 'Goodbye',
          reason: oneOf(b[1], GOODBYE, 'reason'),
          message: str(b[2], 200, 'message'),
        };
      case 14: // 5.9
        fields(b, 3);
        return {
          name: 'Desync',
          tick: uint(b[1], U32, 'tick'),
          checksums: array(b[2], 256, 'checksums').map((c) => {
            const pair = array(c, 2, 'checksum');
            fields(pair, 2);
            return { playerId: uint(pair[0], 255, 'playerId'), checksum: uint(pair[1], U32, 'c') };
          }),
        };
      case 15: // 5.10
        return specSignal(b, 'SignalToClient');
    }
  } else if (channel === 'udp-to-server') {
    check(ctx !== undefined, 'the bit fields need inputSize and maxPlayers');
    if (tag === 20) return specInputs(b, ctx);
  } else {
    check(ctx !== undefined, 'the bit fields need inputSize and maxPlayers');
    if (tag === 21) return specFrames(b, ctx);
    if (tag === 22) {
      // 6.3
      fields(b, 3);
      return { name: 'WorldState', seq: uint(b[1], U32, 'seq'), data: bin(b[2], 1100, 'data') };
    }
  }
  throw new SpecError(`unknown type ${String(tag)} on ${channel}`);
}

/** Sections 5.5 and 5.17: at most `maxPlayers` pairs `[playerId, username]`. */
function specPlayers(raw: unknown, maxPlayers: number): { playerId: number; username: string }[] {
  return array(raw, maxPlayers, 'players').map((p) => {
    const pair = array(p, 2, 'player');
    fields(pair, 2);
    return {
      playerId: uint(pair[0], maxPlayers - 1, 'playerId'),
      username: username(pair[1], 'username'),
    };
  });
}

/** Section 5.10: one bin of 1..4096 opaque bytes. */
function specSignal(b: unknown[], name: string): Spec {
  fields(b, 2);
  const data = bin(b[1], 4096, 'data');
  check(data.length >= 1, 'a signal of no bytes');
  return { name, data };
}

/** Section 6.1, with the bit field of 7.3 and the optional tail. */
function specInputs(b: unknown[], ctx: Ctx): Spec {
  // Fields 0-6, then the tail: sentAt, checksums, rttMs + jitterMs; never 10 elements.
  fields(b, 7, 8, 9, 11);
  const firstTick = uint(b[4], U32, 'firstTick');
  const count = uint(b[5], 4096, 'count');
  check(firstTick + count - 1 <= U32, 'ticks past the largest');
  const bits = new SpecBits(bin(b[6], 1400, 'inputs'));
  const inputs = sequence(bits, count, ctx.inputSize * 8);
  bits.end();
  const delta = b[2];
  check(typeof delta === 'number' && Number.isInteger(delta), 'frameAckDelta: an integer');
  const msg: Spec = {
    name: 'Inputs',
    seq: uint(b[1], 127, 'seq'),
    frameAck: ack(firstTick - delta, 'frameAck = firstTick - frameAckDelta'),
    rxLoss: uint(b[3], 255, 'rxLoss'),
    firstTick,
    inputs,
    checksums: [],
  };
  // nil (or nothing) in fields 7 and 8 is "absent".
  if (b[7] !== undefined && b[7] !== null) msg.sentAt = uint(b[7], 65535, 'sentAt');
  if (b[8] !== undefined && b[8] !== null) {
    const reports = array(b[8], 16, 'checksums');
    check(reports.length >= 1, 'checksums: nil when empty, never an empty array');
    msg.checksums = reports.map((c) => {
      const pair = array(c, 2, 'checksum report');
      fields(pair, 2);
      return { tick: uint(pair[0], U32, 'tick'), checksum: uint(pair[1], U32, 'checksum') };
    });
  }
  if (b.length === 11) {
    msg.rttMs = uint(b[9], 65535, 'rttMs');
    msg.jitterMs = uint(b[10], 65535, 'jitterMs');
  }
  return msg;
}

/** A player named in a join event, or in JoinAccepted `players`. */
interface SpecPlayer {
  readonly playerId: number;
  readonly username: string;
}

/** A frame as decoded from one packet: leaves are slots and reasons, without names (7.5). */
interface SpecFrame {
  readonly tick: number;
  readonly inputs: (Uint8Array | null)[];
  joined?: SpecPlayer[];
  left?: { readonly playerId: number; readonly reason: string }[];
  substituted?: number[];
}

/** Section 6.2, with the bit field of 7.4 and the events of 7.5. */
function specFrames(b: unknown[], ctx: Ctx): Spec {
  fields(b, 11, 12);
  const run = specRun(b[7], b[8], b[9], b[10], ctx, 1400);
  const lead: Record<string, unknown> = {};
  if (b.length === 12) {
    const v = b[11];
    check(typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767, 'inputLead');
    lead.inputLead = v;
  }
  return {
    ...lead,
    name: 'Frames',
    seq: uint(b[1], 127, 'seq'),
    echoSentAt: uint(b[2], 65535, 'echoSentAt'),
    echoDelayMs: uint(b[3], 65535, 'echoDelayMs'),
    inputAck: ack(b[4], 'inputAck'),
    rxLoss: uint(b[5], 255, 'rxLoss'),
    checksumAck: ack(b[6], 'checksumAck'),
    ...run,
  };
}

/** A mask of one bit per slot (7.5): the slots set, at least one, none past the last. */
function maskSlots(v: unknown, maxPlayers: number, what: string): number[] {
  const maskBytes = Math.ceil(maxPlayers / 8);
  const mask = bin(v, maskBytes, what);
  check(mask.length === maskBytes, `${what}: exactly ${maskBytes} bytes`);
  const slots: number[] = [];
  for (let slot = 0; slot < maskBytes * 8; slot++) {
    if ((mask[slot >> 3] & (0x80 >> (slot % 8))) === 0) continue;
    check(slot < maxPlayers, `${what}: a bit past the last slot`);
    slots.push(slot);
  }
  check(slots.length >= 1, `${what}: names nobody`);
  return slots;
}

/** Fields 7 to 10 of Frames (6.2), and 1 to 4 of CatchUp (5.13): a run of frames. */
function specRun(
  rawFirst: unknown,
  rawCount: unknown,
  rawBits: unknown,
  rawEvents: unknown,
  ctx: Ctx,
  maxBits: number,
): { firstTick: number; count: number; frames: SpecFrame[] } {
  const { inputSize, maxPlayers } = ctx;
  const firstTick = uint(rawFirst, U32, 'firstTick');
  const count = uint(rawCount, 4096, 'count');
  check(firstTick + count - 1 <= U32, 'ticks past the largest');
  const bits = new SpecBits(bin(rawBits, maxBits, 'inputs'));
  // 1. presence masks; bit i of a mask is the i-th bit written.
  const masks = sequence(bits, count, maxPlayers);
  const present = (frame: number, slot: number): boolean =>
    (masks[frame][slot >> 3] & (0x80 >> (slot % 8))) !== 0;
  const inputs = masks.map(() => new Array<Uint8Array | null>(maxPlayers).fill(null));
  // 2. per slot, its inputs in the frames where it is present.
  for (let slot = 0; slot < maxPlayers; slot++) {
    const frames = masks.map((_, i) => i).filter((i) => present(i, slot));
    if (frames.length === 0) continue;
    const seq = sequence(bits, frames.length, inputSize * 8);
    frames.forEach((frame, k) => (inputs[frame][slot] = seq[k]));
  }
  bits.end();
  const frames: SpecFrame[] = inputs.map((slots, i) => ({ tick: firstTick + i, inputs: slots }));
  for (const e of array(rawEvents, 4096, 'events')) {
    const ev = array(e, 4, 'event');
    fields(ev, 4);
    const tick = uint(ev[0], U32, 'event tick');
    check(tick >= firstTick && tick < firstTick + count, 'event outside the packet');
    const frame = frames[tick - firstTick];
    if (ev[1] === 0) {
      (frame.joined ??= []).push({
        playerId: uint(ev[2], maxPlayers - 1, 'event playerId'),
        username: username(ev[3], 'event username'),
      });
    } else if (ev[1] === 1) {
      check(frame.left === undefined, 'two leave events for one tick');
      const slots = maskSlots(ev[2], maxPlayers, 'leave mask');
      const reasons = bin(ev[3], maxPlayers, 'leave reasons');
      check(slots.length === reasons.length, 'one reason byte per slot leaving');
      frame.left = slots.map((slot, i) => ({
        playerId: slot,
        reason: LEAVE_REASONS[uint(reasons[i], 3, 'leave reason')],
      }));
    } else if (ev[1] === 2) {
      check(frame.substituted === undefined, 'two substitution events for one tick');
      const slots = maskSlots(ev[2], maxPlayers, 'substitution mask');
      check(ev[3] === 0, 'the last element of a substitution event is 0');
      for (const slot of slots)
        check(frame.inputs[slot] !== null, 'a substituted slot has no input');
      frame.substituted = slots;
    } else {
      throw new SpecError('bad event kind');
    }
  }
  return { firstTick, count, frames };
}

/**
 * Section 7.6: who is in each slot, from JoinAccepted `players`, then each frame in tick
 * order: its joins, then its leaves, which take their names from the table.
 */
class SlotTable {
  private readonly names = new Map<number, string>();

  constructor(players: readonly SpecPlayer[]) {
    for (const p of players) this.names.set(p.playerId, p.username);
  }

  /** The next frame in tick order, with the names of the players leaving filled in. */
  apply(frame: SpecFrame): Record<string, unknown> {
    for (const p of frame.joined ?? []) this.names.set(p.playerId, p.username);
    if (!frame.left) return { ...frame };
    const left = frame.left.map((l) => ({
      playerId: l.playerId,
      username: this.names.get(l.playerId) ?? '',
      reason: l.reason,
    }));
    for (const l of left) this.names.delete(l.playerId);
    return { ...frame, left };
  }
}

/** Section 15.1: TCP messages are a 4-byte big-endian length, then the message. */
function unframe(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < stream.length) {
    check(stream.length - at >= 4, 'a length prefix cut short');
    const view = new DataView(stream.buffer, stream.byteOffset + at, 4);
    const length = view.getUint32(0, false);
    check(stream.length - at - 4 >= length, 'a message cut short');
    out.push(stream.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/**
 * Section 15.1: the tag of a datagram, the SipHash-2-4 of every byte before the tag (the
 * counter among them) under the direction's half of the key (bytes 0-15 to the server, 16-31
 * to the client), 8 bytes little-endian.
 */
function nodeTag(key: Uint8Array, direction: 0 | 1, sealed: Uint8Array): Uint8Array {
  return referenceSipHash(key.slice(direction * 16, direction * 16 + 16), sealed);
}

/**
 * Section 15.1: a client-to-server datagram is a 4-byte big-endian token, an 8-byte counter, the
 * message and an 8-byte tag; with the key, the tag is checked.
 */
function nodeDatagramToServer(
  datagram: Uint8Array,
  key?: Uint8Array,
): { token: number; counter: bigint; message: Uint8Array } {
  check(datagram.length >= 4 + 8 + 8, 'a datagram shorter than token, counter and tag');
  const view = new DataView(datagram.buffer, datagram.byteOffset, 12);
  const end = datagram.length - 8;
  if (key)
    check(
      Buffer.from(nodeTag(key, 0, datagram.subarray(0, end))).equals(datagram.subarray(end)),
      'a datagram whose tag does not authenticate',
    );
  return {
    token: view.getUint32(0, false),
    counter: view.getBigUint64(4, false),
    message: datagram.slice(12, end),
  };
}

/** Section 15.1: a server-to-client datagram is the counter, the message and the tag, checked with the key. */
function nodeDatagramToClient(
  datagram: Uint8Array,
  key: Uint8Array,
): { counter: bigint; message: Uint8Array } {
  check(datagram.length >= 8 + 8, 'a datagram shorter than counter and tag');
  const counter = datagram.slice(0, 8);
  const end = datagram.length - 8;
  check(
    Buffer.from(nodeTag(key, 1, datagram.subarray(0, end))).equals(datagram.subarray(end)),
    'a datagram whose tag does not authenticate',
  );
  return {
    counter: new DataView(counter.buffer).getBigUint64(0, false),
    message: datagram.slice(8, end),
  };
}

/** Section 15.1, built by the document's rule: token (u32 BE), counter (u64 BE), message, tag. */
function nodeDatagramOf(
  token: number,
  counter: bigint,
  message: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  const sealed = new Uint8Array(12 + message.length);
  const view = new DataView(sealed.buffer);
  view.setUint32(0, token, false);
  view.setBigUint64(4, counter, false);
  sealed.set(message, 12);
  return Uint8Array.from([...sealed, ...nodeTag(key, 0, sealed)]);
}

/** Section 15.1: the server's signal is its UDP port (u16 BE, 1..65535), the token (u32 BE), the seal (1) and the key (32 bytes). */
function nodeSignal(data: Uint8Array): { udpPort: number; token: number; key: Uint8Array } {
  check(data.length === 39, 'the Node signal is 39 bytes');
  const view = new DataView(data.buffer, data.byteOffset, 6);
  const udpPort = view.getUint16(0, false);
  check(udpPort >= 1, 'the Node signal has port 0');
  check(data[6] === 1, 'the Node signal names seal 1 (SipHash-2-4)');
  return { udpPort, token: view.getUint32(2, false), key: data.slice(7) };
}

// ---------------------------------------------------------------------------------------
// The library's decoded messages, in the document's terms, to compare.

const NAMES: Record<number, string> = {
  1: 'Join',
  2: 'Chat',
  3: 'Leave',
  4: 'Snapshot',
  5: 'SignalToServer',
  6: 'Ready',
  7: 'Reconnect',
  8: 'SnapshotOffer',
  9: 'Watch',
  10: 'JoinAccepted',
  11: 'JoinRefused',
  12: 'ChatBroadcast',
  13: 'Goodbye',
  14: 'Desync',
  15: 'SignalToClient',
  16: 'Seated',
  17: 'CatchUp',
  18: 'CaughtUp',
  19: 'SnapshotRequest',
  20: 'Inputs',
  21: 'Frames',
  22: 'WorldState',
  23: 'WatchAccepted',
};

function libraryAsSpec(msg: Message): Spec {
  const { type, ...rest } = msg as Message & Record<string, unknown>;
  const out: Record<string, unknown> = { name: NAMES[type], ...rest };
  if ('linkReport' in rest && rest.linkReport) {
    const { rttMs, jitterMs } = rest.linkReport as { rttMs: number; jitterMs: number };
    delete out.linkReport;
    Object.assign(out, { rttMs, jitterMs });
  }
  if (type === 21 || type === 17) {
    const frames = (rest as { frames: ConfirmedFrame[] }).frames;
    out.count = frames.length;
    out.firstTick = frames.length > 0 ? frames[0].tick : (specFirstTick ?? 0);
    // Leaves travel without names (7.5): the library's decoder leaves them empty.
    out.frames = frames.map((f) => {
      if (!f.left) return f;
      for (const l of f.left) expect(l.username).toBe('');
      return { ...f, left: f.left.map((l) => ({ playerId: l.playerId, reason: l.reason })) };
    });
  }
  return out as Spec;
}
/** The firstTick of an empty Frames packet is only on the wire: taken from our decoding. */
let specFirstTick: number | undefined;

// ---------------------------------------------------------------------------------------
// Capture.

interface Captured {
  readonly from: number; // local port
  readonly to: number; // remote port
  readonly bytes: Uint8Array;
}

type Patchable = { send: (...args: unknown[]) => unknown; write: (...args: unknown[]) => unknown };
const dgramProto = dgram.Socket.prototype as unknown as Patchable;
const netProto = net.Socket.prototype as unknown as Patchable;
const originalSend = dgramProto.send;
const originalWrite = netProto.write;

/** The bytes of a write or a send: one buffer, a string, or buffers sent together. */
function toBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return Uint8Array.from(chunk);
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  if (Array.isArray(chunk)) {
    const parts = chunk.map(toBytes);
    if (parts.some((p) => p === undefined)) return undefined;
    const out = new Uint8Array(parts.reduce((n, p) => n + p!.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p!, at);
      at += p!.length;
    }
    return out;
  }
  return undefined;
}

/** Records every datagram and TCP write of this process until `restore`. */
function startCapture(): { datagrams: Captured[]; writes: Captured[] } {
  const datagrams: Captured[] = [];
  const writes: Captured[] = [];
  dgramProto.send = function (this: dgram.Socket, ...args: unknown[]): unknown {
    const bytes = toBytes(args[0]);
    if (bytes) datagrams.push({ from: this.address().port, to: Number(args[1]), bytes });
    return originalSend.apply(this, args);
  };
  netProto.write = function (this: net.Socket, ...args: unknown[]): unknown {
    const bytes = toBytes(args[0]);
    if (bytes && this.localPort !== undefined && this.remotePort !== undefined)
      writes.push({ from: this.localPort, to: this.remotePort, bytes });
    return originalWrite.apply(this, args);
  };
  return { datagrams, writes };
}

function restore(): void {
  dgramProto.send = originalSend;
  netProto.write = originalWrite;
}

/** The TCP byte stream of one direction of one connection, as messages. */
function tcpMessages(writes: Captured[], from: number, to: number): Uint8Array[] {
  const parts = writes.filter((w) => w.from === from && w.to === to).map((w) => w.bytes);
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    stream.set(p, at);
    at += p.length;
  }
  return unframe(stream);
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  restore();
  await Promise.all(open.splice(0).map((o) => o.close()));
});

// ---------------------------------------------------------------------------------------

describe('docs/protocol.md, checked against captured traffic', () => {
  it('decodes every TCP message and datagram of a real session as the library does', async () => {
    const cap = startCapture();
    const server: GameServer = await createServer({
      host: '127.0.0.1',
      port: 0,
      tickRate: 100,
      inputSize: 2,
      maxPlayers: 4,
    });
    open.push(server);
    const serverEvents: NetworkEvent[] = [];
    server.events$.subscribe((e) => serverEvents.push(e));
    const received = new Map<GameClient, ConfirmedFrame[]>();
    const sent = new Map<GameClient, Map<number, Uint8Array>>();
    const join = async (name: string, snapshot?: (tick: number) => Uint8Array) => {
      const c = await connect({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username: name,
        snapshot,
      });
      open.push(c);
      // Frames wait for the first subscriber: none is missed, the catch-up included.
      const list: ConfirmedFrame[] = [];
      c.frames$.subscribe((f) => list.push(f));
      received.set(c, list);
      sent.set(c, new Map());
      await c.caughtUp;
      c.ready(); // Ready (5.11), answered by Seated (5.12)
      await c.seated;
      return c;
    };
    const ann: GameClient = await join('ann');
    const bob: GameClient = await join('bob', (tick) => Uint8Array.of(0xb0, tick));
    const worldStates: Uint8Array[] = [];
    bob.worldState$.subscribe((w) => worldStates.push(w));
    const chats: string[] = [];
    bob.chat$.subscribe((m) => chats.push(`${m.from}: ${m.text}`));

    // Inputs with held buttons and changes, so the compression has repeats and new values.
    const play = (c: GameClient, n: number): void => {
      for (let i = 0; i < n; i++) {
        const tick = c.startTick + c.inputsSent;
        const input = Uint8Array.of(0x01 << c.playerId, Math.floor(tick / 4));
        sent.get(c)!.set(tick, input);
        c.sendInput(input);
      }
    };
    /** Inputs up to (not including) `tick`. */
    const playTo = (c: GameClient, tick: number): void =>
      play(c, tick - c.startTick - c.inputsSent);
    /** Every frame before `tick` delivered to each of `clients`. */
    const framesUpTo = (clients: GameClient[], tick: number) =>
      waitFor(() => clients.every((c) => c.lastFrameTick >= tick - 1), {
        message: `the frames up to ${tick - 1} on ${clients.map((c) => c.username).join(', ')}`,
      });
    const N = 40;
    play(ann, N);
    play(bob, N);
    await framesUpTo([ann, bob], N);

    // Checksums that differ: a Desync for every player, and bob's Snapshot. ann's report goes
    // out at once in a packet without sentAt, so nil comes before checksums in the tail (6.1):
    // the reference client puts sentAt in the packets whose seq is a multiple of 4, and
    // sendInput sends synchronously, so the seq of its next packet is packetsSent.
    if (ann.getStats().packetsOut % 4 === 0) play(ann, 1);
    ann.reportChecksum(5, 111);
    play(ann, 1);
    bob.reportChecksum(5, 222);
    playTo(bob, ann.startTick + ann.inputsSent);
    await waitFor(() => serverEvents.some((e) => e.type === 'snapshot'), {
      message: 'the desync and the snapshot',
    });
    ann.sendChat('hello');
    await waitFor(() => chats.length > 0, { message: 'the chat line' });
    expect(server.sendWorldState(bob.playerId, Uint8Array.of(1, 2, 3))).toBe(true);
    await waitFor(() => worldStates.length > 0, { message: 'the world state' });

    // rttMs and jitterMs (6.1) go in every 32nd packet once a client has measured the round
    // trip: wait until one has gone out (keepalives keep packets going).
    await waitFor(
      () =>
        cap.datagrams.some(
          (d) =>
            d.to === server.address.udpPort &&
            fieldCount(d.bytes.subarray(12, d.bytes.length - 8)) === 11,
        ),
      { message: 'an Inputs packet with rttMs and jitterMs' },
    );

    // cat joins late: a catch-up of every frame from tick 0 (5.13), then CaughtUp (5.14).
    const t0 = ann.startTick + ann.inputsSent;
    await framesUpTo([ann, bob], t0);
    const cat: GameClient = await join('cat');
    const t1 = cat.startTick + 5;
    for (const c of [ann, bob, cat]) playTo(c, t1);
    await framesUpTo([ann, bob, cat], t1);

    // ann leaves and cat is kicked before frame t1: one leave event names both (7.5), and
    // bob's input completes that frame.
    await ann.close();
    expect(server.kick(cat.playerId)).toBe(true);
    await waitFor(() => server.players.length === 1, { message: 'the server to see ann go' });
    play(bob, 1);
    await framesUpTo([bob], t1 + 1);
    expect((await cat.closed).reason).toBe('kicked');
    await server.close();
    await bob.closed;
    restore();

    // --- TCP: reassemble each direction of each connection, decode every message.
    const { tcpPort, udpPort: serverUdp } = server.address;
    const clientTcpPorts = [
      ...new Set(cap.writes.filter((w) => w.to === tcpPort).map((w) => w.from)),
    ];
    expect(clientTcpPorts).toHaveLength(3);
    const sessions = clientTcpPorts.map((port) => {
      const up = tcpMessages(cap.writes, port, tcpPort);
      const down = tcpMessages(cap.writes, tcpPort, port);
      const upSpec = up.map((m) => specDecode(m, 'tcp-to-server'));
      // CatchUp needs the bit fields' sizes: from the JoinAccepted before it (5.13).
      let downCtx: Ctx | undefined;
      const downSpec = down.map((m) => {
        const spec = specDecode(m, 'tcp-to-client', downCtx);
        if (spec.name === 'JoinAccepted')
          downCtx = { inputSize: spec.inputSize as number, maxPlayers: spec.maxPlayers as number };
        return spec;
      });
      up.forEach((m, i) => expect(upSpec[i]).toEqual(libraryAsSpec(decodeClientTcp(m))));
      down.forEach((m, i) =>
        expect(downSpec[i]).toEqual(libraryAsSpec(decodeServerTcp(m, downCtx))),
      );
      return { up: upSpec, down: downSpec };
    });
    const sessionOf = (c: GameClient) => {
      const s = sessions.find((x) => x.up[0].username === c.username);
      expect(s).toBeDefined();
      return s!;
    };
    const annTcp = sessionOf(ann);
    const bobTcp = sessionOf(bob);
    const catTcp = sessionOf(cat);
    expect(annTcp.up.map((m) => m.name)).toEqual(['Join', 'Ready', 'Chat', 'Leave']);
    expect(bobTcp.up.map((m) => m.name)).toEqual(['Join', 'Ready', 'Snapshot']);
    expect(catTcp.up.map((m) => m.name)).toEqual(['Join', 'Ready']);
    expect(bobTcp.up[2]).toEqual({ name: 'Snapshot', tick: 5, data: Uint8Array.of(0xb0, 5) });
    // The Node transport's one signal follows JoinAccepted (15.1); the client sends none. The
    // catch-up follows: nothing to catch up on at tick 0, every frame so far for cat.
    expect(annTcp.down.map((m) => m.name)).toEqual([
      'JoinAccepted',
      'SignalToClient',
      'CaughtUp',
      'Seated',
      'Desync',
      'ChatBroadcast',
    ]);
    expect(bobTcp.down.map((m) => m.name)).toEqual([
      'JoinAccepted',
      'SignalToClient',
      'CaughtUp',
      'Seated',
      'Desync',
      'ChatBroadcast',
      'Goodbye',
    ]);
    expect(catTcp.down.map((m) => m.name)).toEqual([
      'JoinAccepted',
      'SignalToClient',
      'CatchUp',
      'CaughtUp',
      'Seated',
      'Goodbye',
    ]);
    expect(annTcp.down[2]).toEqual({ name: 'CaughtUp', tick: 0 });
    expect(annTcp.down[3]).toEqual({ name: 'Seated', tick: ann.startTick });
    expect(catTcp.down[2]).toMatchObject({ name: 'CatchUp', firstTick: 0 });
    expect(catTcp.down[3]).toEqual({ name: 'CaughtUp', tick: catTcp.down[2].count });
    expect(catTcp.down[4]).toEqual({ name: 'Seated', tick: cat.startTick });
    expect(bobTcp.down[6]).toMatchObject({ name: 'Goodbye', reason: 'server-closing' });
    expect(catTcp.down[5]).toMatchObject({ name: 'Goodbye', reason: 'kicked' });
    expect(annTcp.down[4]).toEqual({
      name: 'Desync',
      tick: 5,
      checksums: [
        { playerId: ann.playerId, checksum: 111 },
        { playerId: bob.playerId, checksum: 222 },
      ].sort((a, b) => a.playerId - b.playerId),
    });
    expect(annTcp.down[5]).toEqual({ name: 'ChatBroadcast', from: 'ann', text: 'hello' });

    // The join, as the document says: who the client is up, the match's rules down, then the
    // Node transport's signal: the server's UDP port, the player's token and key (15.1).
    const tokens = new Set<number>();
    const clients = [ann, bob, cat].map((c) => {
      const s = sessionOf(c);
      const [joinMsg, accepted, signal] = [s.up[0], s.down[0], s.down[1]];
      expect(joinMsg).toEqual({
        name: 'Join',
        protocolVersion: 3,
        username: c.username,
        password: '',
      });
      expect(accepted).toMatchObject({
        name: 'JoinAccepted',
        playerId: c.playerId,
        tickRate: 100,
        inputSize: 2,
        maxPlayers: 4,
        firstTick: 0,
      });
      expect((accepted.reconnectToken as Uint8Array).length).toBe(16);
      expect(accepted.snapshot).toBeUndefined();
      const { udpPort, token, key } = nodeSignal(signal.data as Uint8Array);
      expect(udpPort).toBe(serverUdp);
      expect(tokens.has(token)).toBe(false);
      tokens.add(token);
      expect(key).toHaveLength(32);
      // The client's UDP port: where the datagrams with its token come from (15.1).
      const up = cap.datagrams.filter(
        (d) => d.to === serverUdp && nodeDatagramToServer(d.bytes).token === token,
      );
      expect(up.length).toBeGreaterThan(0);
      const clientUdp = up[0].from;
      for (const d of up) expect(d.from).toBe(clientUdp);
      // Each sealed with the key, its counters 0, 1, 2, ... in the order sent (15.1).
      expect(up.map((d) => nodeDatagramToServer(d.bytes, key).counter)).toEqual(
        up.map((_, i) => BigInt(i)),
      );
      const catchUp = s.down.filter((m) => m.name === 'CatchUp');
      return { client: c, clientUdp, up, catchUp, key, players: accepted.players as SpecPlayer[] };
    });
    // Everyone in the match before the first frame (5.5): nobody, from tick 0.
    for (const c of clients) expect(c.players).toEqual([]);
    const ctx: Ctx = {
      inputSize: sessions[0].down[0].inputSize as number,
      maxPlayers: sessions[0].down[0].maxPlayers as number,
    };

    // --- UDP: every datagram, by the document and by the library.
    expect(cap.datagrams.length).toBeGreaterThan(2 * N);
    // Every datagram to the server carries the token of one of the players (15.1).
    for (const d of cap.datagrams.filter((x) => x.to === serverUdp))
      expect(tokens.has(nodeDatagramToServer(d.bytes).token)).toBe(true);
    for (const d of cap.datagrams)
      expect(d.bytes.length).toBeLessThanOrEqual(d.to === serverUdp ? 20 + 1200 : 16 + 1200);
    const inputsLengths = new Set<number>();
    for (const { client, clientUdp, up, catchUp, key, players } of clients) {
      const down = cap.datagrams.filter((d) => d.from === serverUdp && d.to === clientUdp);
      expect(down.length).toBeGreaterThan(0);
      // Sealed with the same key the other way (nonce direction 1), counters 0, 1, 2, ...
      expect(down.map((d) => nodeDatagramToClient(d.bytes, key).counter)).toEqual(
        down.map((_, i) => BigInt(i)),
      );
      // The server has nowhere to send before the client's first datagram (15.1).
      expect(cap.datagrams.indexOf(up[0])).toBeLessThan(cap.datagrams.indexOf(down[0]));

      // Inputs: what the client submitted for each tick, every copy the same.
      const inputsByTick = new Map<number, Uint8Array>();
      const reports = new Set<string>();
      const sentAts = new Set<number>();
      let reportWithoutSentAt = false;
      for (const d of up) {
        const { message } = nodeDatagramToServer(d.bytes);
        inputsLengths.add(envelope(message, 1400).length);
        const spec = specDecode(message, 'udp-to-server', ctx);
        expect(spec).toEqual(libraryAsSpec(decodeClientUdp(message, ctx)));
        // The reference client's tail (6.1): sentAt in every fourth packet, rttMs in every 32nd.
        const seq = spec.seq as number;
        expect(spec.sentAt !== undefined, `sentAt in packet ${seq}`).toBe(seq % 4 === 0);
        if (spec.rttMs !== undefined) expect(seq % 32).toBe(0);
        if (spec.sentAt !== undefined) sentAts.add(spec.sentAt as number);
        (spec.inputs as Uint8Array[]).forEach((input, i) => {
          const tick = (spec.firstTick as number) + i;
          const before = inputsByTick.get(tick);
          if (before) expect(input).toEqual(before);
          inputsByTick.set(tick, input);
        });
        const checksums = spec.checksums as { tick: number; checksum: number }[];
        for (const c of checksums) reports.add(`${c.tick}:${c.checksum}`);
        if (checksums.length > 0 && spec.sentAt === undefined) reportWithoutSentAt = true;
      }
      expect([...inputsByTick.entries()].sort((a, b) => a[0] - b[0])).toEqual(
        [...sent.get(client)!.entries()].sort((a, b) => a[0] - b[0]),
      );
      expect([...reports]).toEqual(client === ann ? ['5:111'] : client === bob ? ['5:222'] : []);
      if (client === ann) expect(reportWithoutSentAt).toBe(true);

      // Frames: every copy of a tick the same, and together, named from the client's own slot
      // table (7.6), exactly what frames$ delivered. Server datagrams are counter, message, tag.
      const framesByTick = new Map<number, SpecFrame>();
      // The catch-up's frames, then the datagrams': together, every tick once (5.14).
      for (const m of catchUp) for (const f of m.frames as SpecFrame[]) framesByTick.set(f.tick, f);
      const worlds: Spec[] = [];
      for (const d of down) {
        const { message } = nodeDatagramToClient(d.bytes, key);
        const spec = specDecode(message, 'udp-to-client', ctx);
        if (spec.name === 'WorldState') {
          worlds.push(spec);
          expect(spec).toEqual(libraryAsSpec(decodeServerUdp(message, ctx)));
          continue;
        }
        specFirstTick = spec.firstTick as number;
        expect(spec).toEqual(libraryAsSpec(decodeServerUdp(message, ctx)));
        // The echo (9): the sentAt of an Inputs packet this client sent.
        if (spec.echoDelayMs !== 65535) expect(sentAts.has(spec.echoSentAt as number)).toBe(true);
        for (const f of spec.frames as SpecFrame[]) {
          const before = framesByTick.get(f.tick);
          if (before) expect(f).toEqual(before);
          framesByTick.set(f.tick, f);
          // No frame comes both in the catch-up and as a datagram (5.14).
          for (const m of catchUp)
            expect((m.frames as SpecFrame[]).some((c) => c.tick === f.tick)).toBe(false);
        }
      }
      const table = new SlotTable(players);
      const named = [...framesByTick.values()]
        .sort((a, b) => a.tick - b.tick)
        .map((f) => table.apply(f));
      expect(named).toEqual(received.get(client));
      expect(named[0].tick).toBe(0);
      named.forEach((f, i) => expect(f.tick).toBe(i));
      expect(worlds).toEqual(
        client === bob ? [{ name: 'WorldState', seq: 1, data: Uint8Array.of(1, 2, 3) }] : [],
      );
    }
    // Every form of the Inputs array (6.1): no tail, sentAt, [sentAt or nil, checksums], all.
    expect([...inputsLengths].sort((a, b) => a - b)).toEqual([7, 8, 9, 11]);

    // The frame stream carries membership (7.5): ann and bob join at their start tick, cat
    // later; ann's and cat's leaves are one event at tick t1, named by bob's slot table.
    const bobFrames = received.get(bob)!;
    expect(bobFrames[0].joined?.map((p) => p.username).sort()).toEqual(['ann', 'bob']);
    expect(bobFrames.find((f) => f.tick === cat.startTick)?.joined).toEqual([
      { playerId: cat.playerId, username: 'cat' },
    ]);
    expect(bobFrames.filter((f) => f.left)).toEqual([
      expect.objectContaining({
        tick: t1,
        left: [
          { playerId: ann.playerId, username: 'ann', reason: 'left' },
          { playerId: cat.playerId, username: 'cat', reason: 'kicked' },
        ].sort((a, b) => a.playerId - b.playerId),
      }),
    ]);
    // On the wire: a mask with ann's and cat's bits, and their reasons in slot order.
    const rawLeaves = cap.datagrams
      .filter((d) => d.from === serverUdp && d.to === clients[1].clientUdp)
      .map((d) => envelope(nodeDatagramToClient(d.bytes, clients[1].key).message, 1400))
      .filter((b) => b[0] === 21)
      .flatMap((b) => b[10] as unknown[][])
      .filter((e) => e[1] === 1);
    expect(rawLeaves.length).toBeGreaterThan(0);
    const [lo, hi] = [ann, cat].sort((a, b) => a.playerId - b.playerId);
    for (const e of rawLeaves)
      expect(e).toEqual([
        t1,
        1,
        Uint8Array.of((0x80 >> lo.playerId) | (0x80 >> hi.playerId)),
        Uint8Array.of(lo === ann ? 0 : 2, hi === ann ? 0 : 2),
      ]);
  });
});

// ---------------------------------------------------------------------------------------

/** The hex block after `<!-- hex: name -->` in docs/protocol.md. */
function docHex(name: string): Uint8Array {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const at = doc.indexOf(`<!-- hex: ${name} -->`);
  expect(at).toBeGreaterThanOrEqual(0);
  const block = /```\n([0-9a-f \n]+)\n```/.exec(doc.slice(at));
  expect(block).not.toBeNull();
  return Uint8Array.from(block![1].trim().split(/\s+/), (h) => parseInt(h, 16));
}

describe('docs/protocol.md, worked examples', () => {
  const ctx: Ctx = { inputSize: 2, maxPlayers: 4 };
  const exampleInputs = [
    Uint8Array.of(0x00, 0x00),
    Uint8Array.of(0x00, 0x00),
    Uint8Array.of(0x80, 0x01),
    Uint8Array.of(0x80, 0x01),
  ];
  const inputsFields = {
    name: 'Inputs',
    frameAck: 41,
    rxLoss: 13,
    firstTick: 42,
    inputs: exampleInputs,
  };

  /** What the real encoder makes of the document's Inputs example, with `tail`. */
  const encodedInputs = (tail: {
    seq: number;
    sentAt?: number;
    checksums?: { tick: number; checksum: number }[];
    rttMs?: number;
    jitterMs?: number;
  }): Uint8Array => {
    const { seq, sentAt, checksums = [], rttMs, jitterMs } = tail;
    return encodeInputsPacket(
      {
        type: MessageType.Inputs,
        seq,
        ...(sentAt !== undefined ? { sentAt } : {}),
        frameAck: 41,
        rxLoss: 13,
        firstTick: 42,
        inputs: exampleInputs,
        checksums,
        ...(rttMs !== undefined && jitterMs !== undefined
          ? { linkReport: { rttMs, jitterMs } }
          : {}),
      },
      ctx,
    ).bytes;
  };

  it('13.1: the Inputs packet decodes to what the document says', () => {
    const bytes = docHex('inputs');
    expect(bytes).toHaveLength(26);
    const spec = specDecode(bytes, 'udp-to-server', ctx);
    const tail = { seq: 7, checksums: [{ tick: 40, checksum: 0xdeadbeef }] };
    expect(spec).toEqual({ ...inputsFields, ...tail });
    expect(spec).not.toHaveProperty('sentAt');
    expect(spec).toEqual(libraryAsSpec(decodeClientUdp(bytes, ctx)));
    expect(bytes).toEqual(encodedInputs(tail));
  });

  it('13.1: the same inputs with the other tails (8, 7 and 11 elements)', () => {
    const cases: [string, number, Record<string, unknown> & { seq: number }][] = [
      ['inputs-8', 20, { seq: 8, sentAt: 51234, checksums: [] }],
      ['inputs-7', 17, { seq: 9, checksums: [] }],
      ['inputs-11', 23, { seq: 32, sentAt: 51234, checksums: [], rttMs: 12, jitterMs: 3 }],
    ];
    for (const [name, length, tail] of cases) {
      const bytes = docHex(name);
      expect(bytes, name).toHaveLength(length);
      expect(envelope(bytes, 1400), name).toHaveLength(Number(name.split('-')[1]));
      const spec = specDecode(bytes, 'udp-to-server', ctx);
      expect(spec, name).toEqual({ ...inputsFields, ...tail });
      expect(spec, name).toEqual(libraryAsSpec(decodeClientUdp(bytes, ctx)));
      expect(bytes, name).toEqual(encodedInputs(tail));
    }
  });

  it('13.3: the TCP messages, framed, decode to what the document says', () => {
    const one = (name: string): Uint8Array => {
      const messages = unframe(docHex(name));
      expect(messages, name).toHaveLength(1);
      return messages[0];
    };
    const join = one('join');
    expect(specDecode(join, 'tcp-to-server')).toEqual({
      name: 'Join',
      protocolVersion: 3,
      username: 'ann',
      password: 'pw',
    });
    expect(specDecode(join, 'tcp-to-server')).toEqual(libraryAsSpec(decodeClientTcp(join)));
    expect(join).toEqual(
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: 3,
        username: 'ann',
        password: 'pw',
      }),
    );

    const accepted = one('accepted');
    const token = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(specDecode(accepted, 'tcp-to-client')).toEqual({
      name: 'JoinAccepted',
      playerId: 1,
      tickRate: 60,
      inputSize: 2,
      maxPlayers: 4,
      reconnectToken: token,
      firstTick: 0,
      players: [],
    });
    expect(specDecode(accepted, 'tcp-to-client')).toEqual(libraryAsSpec(decodeServerTcp(accepted)));
    expect(accepted).toEqual(
      encodeMessage({
        type: MessageType.JoinAccepted,
        playerId: 1,
        tickRate: 60,
        inputSize: 2,
        maxPlayers: 4,
        reconnectToken: token,
        firstTick: 0,
        players: [],
      }),
    );

    const ready = one('ready');
    expect(specDecode(ready, 'tcp-to-server')).toEqual({ name: 'Ready' });
    expect(ready).toEqual(encodeMessage({ type: MessageType.Ready }));
    for (const [name, type] of [
      ['seated', MessageType.Seated],
      ['caughtup', MessageType.CaughtUp],
    ] as const) {
      const m = one(name);
      expect(specDecode(m, 'tcp-to-client')).toEqual({
        name: name === 'seated' ? 'Seated' : 'CaughtUp',
        tick: 300,
      });
      expect(m).toEqual(encodeMessage({ type, tick: 300 }));
    }
    const reconnect = one('reconnect');
    expect(specDecode(reconnect, 'tcp-to-server')).toEqual({
      name: 'Reconnect',
      protocolVersion: 3,
      token,
      lastTick: 299,
    });
    expect(specDecode(reconnect, 'tcp-to-server')).toEqual(
      libraryAsSpec(decodeClientTcp(reconnect)),
    );
    // 5.13: the frames of 13.2, in a CatchUp, decode to the frames of the Frames packet.
    const catchUp = one('catchup');
    const fromCatchUp = specDecode(catchUp, 'tcp-to-client', ctx);
    specFirstTick = undefined;
    expect(fromCatchUp).toEqual(libraryAsSpec(decodeServerTcp(catchUp, ctx)));
    expect(fromCatchUp.frames).toEqual(specDecode(docHex('frames'), 'udp-to-client', ctx).frames);
    expect(() => specDecode(catchUp, 'tcp-to-client')).toThrow(SpecError); // needs the sizes

    const signal = one('signal');
    const exampleKey = Uint8Array.from({ length: 32 }, (_, i) => i);
    const data = Uint8Array.from([0x1e, 0x62, 0x9e, 0x37, 0x79, 0xb9, 1, ...exampleKey]);
    expect(specDecode(signal, 'tcp-to-client')).toEqual({ name: 'SignalToClient', data });
    expect(specDecode(signal, 'tcp-to-client')).toEqual(libraryAsSpec(decodeServerTcp(signal)));
    expect(signal).toEqual(encodeMessage({ type: MessageType.SignalToClient, data }));
    // 15.1: the Node transport reads the port, the token, the seal and the key out of it.
    expect(nodeSignal(data)).toEqual({ udpPort: 7778, token: 0x9e3779b9, key: exampleKey });
    // And the library's own reading of it is the same.
    expect(decodeUdpSignal(data)).toEqual({ port: 7778, token: 0x9e3779b9, key: exampleKey });
  });

  it('13.5: a Node transport datagram is the token, the counter, the message of 13.1 and its tag', () => {
    const datagram = docHex('inputs-datagram');
    expect(datagram).toHaveLength(46);
    const exampleKey = Uint8Array.from({ length: 32 }, (_, i) => i);
    const { token, counter, message } = nodeDatagramToServer(datagram, exampleKey);
    expect(token).toBe(0x9e3779b9);
    expect(counter).toBe(5n);
    expect(message).toEqual(docHex('inputs'));
    expect(nodeDatagramOf(0x9e3779b9, 5n, docHex('inputs'), exampleKey)).toEqual(datagram);
    // The library's opener reads it the same (as a server would, its replay window fresh).
    const opened = new DatagramOpener(exampleKey, Direction.ToServer, 4).open(datagram);
    expect(opened).toEqual(docHex('inputs'));
    // One bit changed anywhere, or another key: it does not authenticate.
    const flipped = datagram.slice();
    flipped[20] ^= 1;
    expect(() => nodeDatagramToServer(flipped, exampleKey)).toThrow(SpecError);
    expect(() => nodeDatagramToServer(datagram, new Uint8Array(32))).toThrow(SpecError);
    expect(specDecode(message, 'udp-to-server', ctx)).toMatchObject({ name: 'Inputs', seq: 7 });
  });

  it('15.1: a datagram built by the rule gives back its token, counter and message, and the library opens it (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 127 }),
        fc.array(fc.uint8Array({ minLength: 2, maxLength: 2 }), { maxLength: 40 }),
        (token, counter, key, seq, inputs) => {
          const message = encodeInputsPacket(
            {
              type: MessageType.Inputs,
              seq,
              frameAck: 99,
              rxLoss: 0,
              firstTick: 100,
              inputs,
              checksums: [],
            },
            ctx,
          ).bytes;
          const datagram = nodeDatagramOf(token, counter, message, key);
          expect(datagram).toHaveLength(4 + 8 + message.length + 8);
          // Big-endian: the most significant byte of the token and of the counter first.
          expect(datagram[0]).toBe(token >>> 24);
          expect(datagram[3]).toBe(token & 0xff);
          expect(datagram[11]).toBe(Number(counter & 0xffn));
          const back = nodeDatagramToServer(datagram, key);
          expect(back).toEqual({ token, counter, message });
          expect(new DatagramOpener(key, Direction.ToServer, 4).open(datagram)).toEqual(message);
          expect(specDecode(back.message, 'udp-to-server', ctx)).toEqual(
            libraryAsSpec(decodeClientUdp(back.message, ctx)),
          );
        },
      ),
    );
    for (const short of [0, 1, 3, 19])
      expect(() => nodeDatagramToServer(new Uint8Array(short))).toThrow(SpecError);
    expect(
      nodeDatagramToServer(Uint8Array.from([0, 0, 0, 1, ...new Array<number>(16).fill(0)])),
    ).toEqual({
      token: 1,
      counter: 0n,
      message: new Uint8Array(0),
    });
    // A server-to-client datagram sealed by the library opens by the rule.
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const sealer = new DatagramSealer(key, Direction.ToClient);
    sealer.seal(Uint8Array.of(1));
    const down = Uint8Array.from(sealer.seal(Uint8Array.of(2, 3)));
    expect(nodeDatagramToClient(down, key)).toEqual({ counter: 1n, message: Uint8Array.of(2, 3) });
    expect(() => nodeSignal(Uint8Array.of(0, 0, 1, 2, 3, 4, 1, ...key))).toThrow(SpecError);
    expect(() => nodeSignal(Uint8Array.of(0x1e, 0x62, 1, 2, 3, 4))).toThrow(SpecError);
    expect(() => nodeSignal(Uint8Array.of(0x1e, 0x62, 1, 2, 3, 4, 2, ...key))).toThrow(SpecError);
    expect(nodeSignal(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, ...key))).toEqual({
      udpPort: 65535,
      token: 0xffffffff,
      key,
    });
  });

  it('13.2: the Frames packet decodes to what the document says', () => {
    const bytes = docHex('frames');
    expect(bytes).toHaveLength(49);
    const spec = specDecode(bytes, 'udp-to-client', ctx);
    const A = Uint8Array.of(0x00, 0x10);
    const C = Uint8Array.of(0xff, 0xff);
    const D = Uint8Array.of(0x02, 0x00);
    const frames: SpecFrame[] = [
      { tick: 42, inputs: [A, Uint8Array.of(0x40, 0x00), D, null] },
      {
        tick: 43,
        inputs: [A, Uint8Array.of(0x40, 0x01), D, C],
        joined: [{ playerId: 3, username: 'cat' }],
      },
      {
        tick: 44,
        inputs: [A, null, null, C],
        left: [
          { playerId: 1, reason: 'timeout' },
          { playerId: 2, reason: 'left' },
        ],
      },
    ];
    expect(spec).toEqual({
      name: 'Frames',
      seq: 9,
      echoSentAt: 51234,
      echoDelayMs: 3,
      inputAck: 44,
      rxLoss: 0,
      checksumAck: 40,
      firstTick: 42,
      count: 3,
      frames,
    });
    specFirstTick = 42;
    expect(spec).toEqual(libraryAsSpec(decodeServerUdp(bytes, ctx)));

    // 7.6: with ann, bob and dan in slots 0 to 2, the leaves are bob's and dan's, and the
    // table ends with ann and cat.
    const table = new SlotTable([
      { playerId: 0, username: 'ann' },
      { playerId: 1, username: 'bob' },
      { playerId: 2, username: 'dan' },
    ]);
    const named = (spec.frames as SpecFrame[]).map((f) => table.apply(f));
    expect(named[2].left).toEqual([
      { playerId: 1, username: 'bob', reason: 'timeout' },
      { playerId: 2, username: 'dan', reason: 'left' },
    ]);
    expect(table.apply({ tick: 45, inputs: [], left: [{ playerId: 3, reason: 'left' }] })).toEqual({
      tick: 45,
      inputs: [],
      left: [{ playerId: 3, username: 'cat', reason: 'left' }],
    });
    expect(table.apply({ tick: 46, inputs: [], left: [{ playerId: 1, reason: 'left' }] })).toEqual({
      tick: 46,
      inputs: [],
      left: [{ playerId: 1, username: '', reason: 'left' }],
    });
  });

  it('13.4: the Frames packet with substituted inputs decodes to what the document says', () => {
    const bytes = docHex('frames-substituted');
    const spec = specDecode(bytes, 'udp-to-client', ctx);
    specFirstTick = undefined;
    expect(spec).toEqual(libraryAsSpec(decodeServerUdp(bytes, ctx)));
    const [f, g] = [0x10, 0x11].map((b) => Uint8Array.of(0x00, b));
    const held = Uint8Array.of(0xff, 0xff);
    expect(spec).toMatchObject({ seq: 10, inputAck: 46, firstTick: 45, count: 2 });
    expect(spec.frames).toEqual([
      { tick: 45, inputs: [f, null, null, held], substituted: [3] },
      { tick: 46, inputs: [g, null, null, held], substituted: [3] },
    ]);
  });

  it('decodes a message of every type made by the real encoders as the library does', () => {
    const A = Uint8Array.of(0x00, 0x10);
    const tcpUp: Uint8Array[] = [
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: 3,
        username: 'Zoë 😀',
        password: '',
      }),
      encodeMessage({ type: MessageType.Ready }),
      encodeMessage({ type: MessageType.Watch, protocolVersion: 3, username: 'eve', password: '' }),
      encodeMessage({
        type: MessageType.Reconnect,
        protocolVersion: 3,
        token: new Uint8Array(16).fill(0xee),
        lastTick: -1,
      }),
      encodeMessage({ type: MessageType.SnapshotOffer, tick: 9, data: new Uint8Array(60000) }),
      encodeMessage({ type: MessageType.Chat, text: 'gg' }),
      encodeMessage({ type: MessageType.Leave }),
      encodeMessage({ type: MessageType.Snapshot, tick: 70000, data: new Uint8Array(300).fill(9) }),
      encodeMessage({ type: MessageType.SignalToServer, data: Uint8Array.of(7) }),
      encodeMessage({ type: MessageType.SignalToServer, data: new Uint8Array(4096).fill(0xab) }),
    ];
    const tcpDown: Uint8Array[] = [
      encodeMessage({
        type: MessageType.JoinAccepted,
        playerId: 3,
        tickRate: 1000,
        inputSize: 64,
        maxPlayers: 4,
        reconnectToken: new Uint8Array(16).fill(1),
        firstTick: 0xffffffff,
        players: [
          { playerId: 0, username: 'a' },
          { playerId: 2, username: 'c' },
        ],
        snapshot: Uint8Array.of(1, 2, 3),
      }),
      encodeMessage({
        type: MessageType.WatchAccepted,
        tickRate: 60,
        inputSize: 2,
        maxPlayers: 8,
        firstTick: 0,
        players: [],
        delayTicks: 0,
      }),
      encodeMessage({
        type: MessageType.WatchAccepted,
        tickRate: 1000,
        inputSize: 64,
        maxPlayers: 4,
        firstTick: 7200,
        players: [{ playerId: 3, username: 'd' }],
        snapshot: Uint8Array.of(9),
        delayTicks: 180,
      }),
      encodeMessage({ type: MessageType.Seated, tick: 0 }),
      encodeMessage({ type: MessageType.CaughtUp, tick: 0xffffffff }),
      encodeMessage({ type: MessageType.SnapshotRequest, tick: 77 }),
      encodeCatchUp(
        [
          { tick: 5, inputs: [A, A, null, null], substituted: [1] },
          {
            tick: 6,
            inputs: [A, null, null, null],
            left: [{ playerId: 1, username: 'b', reason: 'timeout' }],
          },
        ],
        ctx,
      ).bytes,
      encodeMessage({ type: MessageType.JoinRefused, reason: 'bad-token' }),
      encodeMessage({ type: MessageType.ChatBroadcast, from: 'server', text: '' }),
      encodeMessage({ type: MessageType.Goodbye, reason: 'ready-timeout', message: 'bye' }),
      encodeMessage({
        type: MessageType.Desync,
        tick: 12,
        checksums: [
          { playerId: 0, checksum: 1 },
          { playerId: 1, checksum: 0xffffffff },
        ],
      }),
      encodeMessage({ type: MessageType.SignalToClient, data: Uint8Array.of(0, 1, 0, 0, 0, 0) }),
    ];
    const udpUp = [
      encodedInputs({ seq: 0 }),
      encodeInputsPacket(
        {
          type: MessageType.Inputs,
          seq: 127,
          frameAck: -1,
          rxLoss: 255,
          firstTick: 0,
          inputs: [],
          checksums: [],
        },
        ctx,
      ).bytes,
    ];
    const udpDown = [
      encodeMessage({ type: MessageType.WorldState, seq: 0xffffffff, data: new Uint8Array(1100) }),
      encodeFramesPacket(
        {
          type: MessageType.Frames,
          seq: 1,
          echoSentAt: 0,
          echoDelayMs: 65535,
          inputAck: -1,
          rxLoss: 0,
          checksumAck: -1,
          frames: [
            { tick: 0, inputs: [A, null, null, null], joined: [{ playerId: 0, username: 'ann' }] },
            { tick: 1, inputs: [A, A, null, null], joined: [{ playerId: 1, username: 'bob' }] },
            {
              tick: 2,
              inputs: [null, A, null, null],
              left: [{ playerId: 0, username: 'ann', reason: 'error' }],
            },
            { tick: 3, inputs: [null, A, null, A], substituted: [1, 3] },
          ],
        },
        ctx,
      ).bytes,
    ];
    for (const m of tcpUp)
      expect(specDecode(m, 'tcp-to-server')).toEqual(libraryAsSpec(decodeClientTcp(m)));
    for (const m of tcpDown) {
      specFirstTick = undefined;
      expect(specDecode(m, 'tcp-to-client', ctx)).toEqual(libraryAsSpec(decodeServerTcp(m, ctx)));
    }
    for (const m of udpUp)
      expect(specDecode(m, 'udp-to-server', ctx)).toEqual(libraryAsSpec(decodeClientUdp(m, ctx)));
    for (const m of udpDown) {
      const spec = specDecode(m, 'udp-to-client', ctx);
      specFirstTick = spec.firstTick as number | undefined;
      expect(spec).toEqual(libraryAsSpec(decodeServerUdp(m, ctx)));
    }
    // Every type tag of section 4, in its direction.
    const tags = (list: Uint8Array[]) => list.map((m) => envelope(m, 65536)[0]);
    expect(new Set([...tags(tcpUp), ...tags(tcpDown), ...tags(udpUp), ...tags(udpDown)])).toEqual(
      new Set(Object.keys(NAMES).map(Number)),
    );
  });

  it('the rules of sections 3, 5, 6 and 7 reject what the library rejects', () => {
    const inputs = docHex('inputs');
    const inputs7 = docHex('inputs-7');
    const inputs11 = docHex('inputs-11');
    const frames = docHex('frames');
    const mutate = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
      const copy = bytes.slice();
      copy[at < 0 ? copy.length + at : at] = value; // a negative `at` counts from the end
      return copy;
    };
    const join = (...parts: (Uint8Array | number[])[]): Uint8Array =>
      Uint8Array.from(parts.flatMap((p) => [...p]));
    /** A message of this version with `fields` as its body. */
    const message = (fields: unknown[]): Uint8Array => join([0x47, 0x4e, 0x03], encode(fields));
    const subst = docHex('frames-substituted');
    const SUBST = -7; // the last substitution event: 94 2e 02 c4 01 10 00
    const token = new Uint8Array(16);
    // Offsets, from the byte tables of 13.1 and 13.2.
    const IN_ARRAY = 3; // the fixarray header
    const IN_DELTA = 6; // frameAckDelta
    const IN_FIRST_TICK = 8;
    const IN_LAST_BITS = 16; // the last byte of the bit field
    const IN_TAIL = 17; // sentAt (nil), then the checksums
    const FR_COUNT = 14;
    const LEAVE = -10; // the leave event, last: 94 2c 01 c4 01 60 c4 02 01 00
    const EVENTS = -19; // the events array header, before the join event (8 bytes)
    const cases: [string, Uint8Array, Channel][] = [
      ['another version', mutate(inputs, 2, 1), 'udp-to-server'],
      ['bad magic', mutate(inputs, 0, 0x48), 'udp-to-server'],
      ['a byte after the body', join(inputs, [0x00]), 'udp-to-server'],
      // 6 elements: the bit field left out.
      ['6 elements', mutate(inputs7.slice(0, -7), IN_ARRAY, 0x96), 'udp-to-server'],
      // 10 elements: rttMs without jitterMs.
      ['10 elements', mutate(inputs11.slice(0, -1), IN_ARRAY, 0x9a), 'udp-to-server'],
      // The version 1 layout: a token before seq.
      [
        'a token in field 1',
        message([20, 0x9e3779b9, 7, 1, 13, 42, 0, new Uint8Array(0)]),
        'udp-to-server',
      ],
      ['nil outside the tail', mutate(inputs, IN_FIRST_TICK, 0xc0), 'udp-to-server'],
      ['nil rttMs', mutate(inputs11, -2, 0xc0), 'udp-to-server'],
      ['an empty checksums array', join(inputs.slice(0, IN_TAIL + 1), [0x90]), 'udp-to-server'],
      // frameAckDelta 1 -> 44: frameAck = 42 - 44 = -2.
      ['frameAck below -1', mutate(inputs, IN_DELTA, 0x2c), 'udp-to-server'],
      // The last bit-field byte 0x20 -> 0x21: a padding bit set.
      ['non-zero padding', mutate(inputs, IN_LAST_BITS, 0x21), 'udp-to-server'],
      // A datagram with the Node transport's token still in front (15.1): not a message.
      ['a token in front', docHex('inputs-datagram'), 'udp-to-server'],
      // Frames: count 3 -> 4, so the bit field ends early.
      ['a bit field cut short', mutate(frames, FR_COUNT, 0x04), 'udp-to-client'],
      // The last reason 0 -> 4: outside LEAVE_REASONS.
      ['an unknown leave reason', mutate(frames, -1, 0x04), 'udp-to-client'],
      // mask 0x60 -> 0x70: three slots leaving, two reasons.
      ['more leave bits than reasons', mutate(frames, LEAVE + 5, 0x70), 'udp-to-client'],
      // mask 0x60 -> 0x48: slots 1 and 4, and there are 4 slots.
      ['a leave bit past the last slot', mutate(frames, LEAVE + 5, 0x48), 'udp-to-client'],
      [
        'a leave mask of 2 bytes',
        join(frames.slice(0, LEAVE + 3), [0xc4, 0x02, 0x60, 0x00], frames.slice(LEAVE + 6)),
        'udp-to-client',
      ],
      [
        'two leave events for one tick',
        join(mutate(frames, EVENTS, 0x93), frames.slice(LEAVE)),
        'udp-to-client',
      ],
      [
        'a leave of 5 elements with a name',
        join(frames.slice(0, LEAVE), [0x95, 0x2c, 0x01, 0x01, 0xa3, 0x62, 0x6f, 0x62, 0x01]),
        'udp-to-client',
      ],
      ['an unknown event kind', mutate(frames, LEAVE + 2, 0x02), 'udp-to-client'],
      ['over 1400 bytes', new Uint8Array(1401), 'udp-to-server'],
      // 5.1 and 5.5: the version 1 Join (with udpPort) and JoinAccepted (with udpPort, token).
      ['a Join with a UDP port', message([1, 2, 'ann', 'pw', 50000]), 'tcp-to-server'],
      ['a Join of 3 fields', message([1, 2, 'ann']), 'tcp-to-server'],
      [
        'a JoinAccepted with a port and a token',
        message([10, 1, 7778, 60, 2, 4, 0, 0x9e3779b9, [[0, 'bob']]]),
        'tcp-to-client',
      ],
      [
        'a JoinAccepted with tickRate 0',
        message([10, 1, 0, 2, 4, token, 0, [], null]),
        'tcp-to-client',
      ],
      // 5.5: the version 2 JoinAccepted, with startTick and no token.
      ['a JoinAccepted of version 2', message([10, 1, 60, 2, 4, 0, [[0, 'bob']]]), 'tcp-to-client'],
      [
        'a token of 15 bytes',
        message([10, 1, 60, 2, 4, token.subarray(1), 0, [], null]),
        'tcp-to-client',
      ],
      ['a snapshot as a number', message([10, 1, 60, 2, 4, token, 0, [], 0]), 'tcp-to-client'],
      ['a Reconnect with a short token', message([7, 3, token.subarray(1), 5]), 'tcp-to-server'],
      ['a Reconnect with lastTick -2', message([7, 3, token, -2]), 'tcp-to-server'],
      ['a Ready with a field', message([6, 1]), 'tcp-to-server'],
      ['a Seated at the server', message([16, 1]), 'tcp-to-server'],
      ['a Ready at the client', message([6]), 'tcp-to-client'],
      ['a Seated without its tick', message([16]), 'tcp-to-client'],
      // 7.5: substitution events.
      ['a substitution event naming nobody', mutate(subst, SUBST + 5, 0x00), 'udp-to-client'],
      ['a substituted slot with no input', mutate(subst, SUBST + 5, 0x40), 'udp-to-client'],
      ['a substitution event ending in 1', mutate(subst, -1, 0x01), 'udp-to-client'],
      ['two substitution events for one tick', mutate(subst, SUBST + 1, 0x2d), 'udp-to-client'],
      // 5.10: a signal is a bin of 1..4096 bytes, in its own direction.
      ['an empty signal', message([15, new Uint8Array(0)]), 'tcp-to-client'],
      ['a signal of 4097 bytes', message([5, new Uint8Array(4097)]), 'tcp-to-server'],
      ['a signal as a str', message([15, 'port']), 'tcp-to-client'],
      ['a signal of 3 fields', message([5, Uint8Array.of(1), Uint8Array.of(2)]), 'tcp-to-server'],
      ['a SignalToClient at the server', message([15, Uint8Array.of(1)]), 'tcp-to-server'],
      ['a SignalToServer at the client', message([5, Uint8Array.of(1)]), 'tcp-to-client'],
    ];
    // The unbroken examples are valid, so each case is rejected for what was broken.
    for (const [bytes, channel] of [
      [inputs, 'udp-to-server'],
      [inputs7, 'udp-to-server'],
      [inputs11, 'udp-to-server'],
      [frames, 'udp-to-client'],
      [message([1, 2, 'ann', 'pw']), 'tcp-to-server'],
      [message([10, 1, 60, 2, 4, token, 0, [[0, 'bob']], null]), 'tcp-to-client'],
      [message([7, 3, token, -1]), 'tcp-to-server'],
      [message([6]), 'tcp-to-server'],
      [subst, 'udp-to-client'],
      [message([15, Uint8Array.of(1)]), 'tcp-to-client'],
      [message([5, new Uint8Array(4096)]), 'tcp-to-server'],
    ] as const)
      expect(() => specDecode(bytes, channel, ctx)).not.toThrow();
    const library: Record<Channel, (bytes: Uint8Array) => unknown> = {
      'tcp-to-server': (b) => decodeClientTcp(b),
      'tcp-to-client': (b) => decodeServerTcp(b, ctx),
      'udp-to-server': (b) => decodeClientUdp(b, ctx),
      'udp-to-client': (b) => decodeServerUdp(b, ctx),
    };
    for (const [what, bytes, channel] of cases) {
      expect(() => specDecode(bytes, channel, ctx), what).toThrow(SpecError);
      expect(() => library[channel](bytes), what).toThrow();
    }
  });
});
