/**
 * docs/protocol.md, checked: a decoder written from the document alone (its own framing, header
 * and bit-field parsing, and its own reading of every message; only the msgpack layer comes from
 * @msgpack/msgpack) decodes packets captured from a real server and two clients, and the worked
 * examples of the document. What it decodes must be what the library decoded, sent and
 * delivered.
 *
 * Capture: the test wraps `dgram.Socket.prototype.send` and `net.Socket.prototype.write` for the
 * duration of a test and records every datagram and TCP write the library makes, with the local
 * and remote ports.
 */
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { decode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type NetworkEvent,
} from '../../src/index.js';
import {
  decodeClientTcp,
  decodeClientUdp,
  decodeServerTcp,
  decodeServerUdp,
  type Message,
} from '../../src/protocol/index.js';
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
];
const LEAVE_REASONS = ['left', 'timeout', 'kicked', 'error']; // section 7.5
const GOODBYE = [...LEAVE_REASONS, 'server-closing'];

/** Section 3: magic, version, one msgpack array with an integer tag first. */
function envelope(bytes: Uint8Array, maxBytes: number): unknown[] {
  check(bytes.length <= maxBytes, 'too large');
  check(bytes.length >= 4, 'too short');
  check(bytes[0] === 0x47 && bytes[1] === 0x4e, 'magic');
  check(bytes[2] === 1, 'version');
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

/** Decodes one message of `channel`, by the document. */
function specDecode(bytes: Uint8Array, channel: Channel, ctx?: Ctx): Spec {
  const b = envelope(
    bytes,
    channel === 'tcp-to-server' ? 4096 : channel === 'tcp-to-client' ? 65536 : 1400,
  );
  const tag = b[0];
  if (channel === 'tcp-to-server') {
    switch (tag) {
      case 1: // 5.1
        fields(b, 5);
        return {
          name: 'Join',
          protocolVersion: uint(b[1], 255, 'protocolVersion'),
          username: username(b[2], 'username'),
          password: str(b[3], 128, 'password'),
          udpPort: uint(b[4], 65535, 'udpPort'),
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
    }
  } else if (channel === 'tcp-to-client') {
    switch (tag) {
      case 10: {
        // 5.5
        fields(b, 9);
        const maxPlayers = uint(b[5], 256, 'maxPlayers');
        check(maxPlayers >= 1, 'maxPlayers >= 1');
        const inputSize = uint(b[4], 64, 'inputSize');
        check(inputSize >= 1, 'inputSize >= 1');
        return {
          name: 'JoinAccepted',
          playerId: uint(b[1], maxPlayers - 1, 'playerId'),
          udpPort: uint(b[2], 65535, 'udpPort'),
          tickRate: uint(b[3], 1000, 'tickRate'),
          inputSize,
          maxPlayers,
          startTick: uint(b[6], U32, 'startTick'),
          token: uint(b[7], U32, 'token'),
          players: array(b[8], maxPlayers, 'players').map((p) => {
            const pair = array(p, 2, 'player');
            fields(pair, 2);
            return {
              playerId: uint(pair[0], maxPlayers - 1, 'playerId'),
              username: username(pair[1], 'username'),
            };
          }),
        };
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

/** Section 6.1, with the bit field of 7.3. */
function specInputs(b: unknown[], ctx: Ctx): Spec {
  fields(b, 10, 12);
  const firstTick = uint(b[6], U32, 'firstTick');
  const count = uint(b[7], 4096, 'count');
  check(firstTick + count - 1 <= U32, 'ticks past the largest');
  const bits = new SpecBits(bin(b[8], 1400, 'inputs'));
  const inputs = sequence(bits, count, ctx.inputSize * 8);
  bits.end();
  const msg: Spec = {
    name: 'Inputs',
    token: uint(b[1], U32, 'token'),
    seq: uint(b[2], 65535, 'seq'),
    sentAt: uint(b[3], 65535, 'sentAt'),
    frameAck: ack(b[4], 'frameAck'),
    rxLoss: uint(b[5], 255, 'rxLoss'),
    firstTick,
    inputs,
    checksums: array(b[9], 16, 'checksums').map((c) => {
      const pair = array(c, 2, 'checksum report');
      fields(pair, 2);
      return { tick: uint(pair[0], U32, 'tick'), checksum: uint(pair[1], U32, 'checksum') };
    }),
  };
  if (b.length === 12)
    return { ...msg, rttMs: uint(b[10], 65535, 'rttMs'), jitterMs: uint(b[11], 65535, 'j') };
  return msg;
}

/** Section 6.2, with the bit field of 7.4 and the events of 7.5. */
function specFrames(b: unknown[], ctx: Ctx): Spec {
  fields(b, 11);
  const { inputSize, maxPlayers } = ctx;
  const firstTick = uint(b[7], U32, 'firstTick');
  const count = uint(b[8], 4096, 'count');
  check(firstTick + count - 1 <= U32, 'ticks past the largest');
  const bits = new SpecBits(bin(b[9], 1400, 'inputs'));
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
  const frames: Record<string, unknown>[] = inputs.map((slots, i) => ({
    tick: firstTick + i,
    inputs: slots,
  }));
  for (const e of array(b[10], 4096, 'events')) {
    const ev = array(e, 5, 'event');
    const tick = uint(ev[0], U32, 'event tick');
    check(tick >= firstTick && tick < firstTick + count, 'event outside the packet');
    const player = {
      playerId: uint(ev[2], maxPlayers - 1, 'event playerId'),
      username: username(ev[3], 'event username'),
    };
    const frame = frames[tick - firstTick];
    if (ev[1] === 0 && ev.length === 4) {
      ((frame.joined ??= []) as unknown[]).push(player);
    } else if (ev[1] === 1 && ev.length === 5) {
      const reason = LEAVE_REASONS[uint(ev[4], 3, 'leave reason')];
      ((frame.left ??= []) as unknown[]).push({ ...player, reason });
    } else {
      throw new SpecError('bad event');
    }
  }
  return {
    name: 'Frames',
    seq: uint(b[1], 65535, 'seq'),
    echoSentAt: uint(b[2], 65535, 'echoSentAt'),
    echoDelayMs: uint(b[3], 65535, 'echoDelayMs'),
    inputAck: ack(b[4], 'inputAck'),
    rxLoss: uint(b[5], 255, 'rxLoss'),
    checksumAck: ack(b[6], 'checksumAck'),
    firstTick,
    count,
    frames,
  };
}

/** Section 2: TCP messages are a 4-byte big-endian length, then the message. */
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

// ---------------------------------------------------------------------------------------
// The library's decoded messages, in the document's terms, to compare.

const NAMES: Record<number, string> = {
  1: 'Join',
  2: 'Chat',
  3: 'Leave',
  4: 'Snapshot',
  10: 'JoinAccepted',
  11: 'JoinRefused',
  12: 'ChatBroadcast',
  13: 'Goodbye',
  14: 'Desync',
  20: 'Inputs',
  21: 'Frames',
  22: 'WorldState',
};

function libraryAsSpec(msg: Message): Spec {
  const { type, ...rest } = msg as Message & Record<string, unknown>;
  const out: Record<string, unknown> = { name: NAMES[type], ...rest };
  if ('linkReport' in rest && rest.linkReport) {
    const { rttMs, jitterMs } = rest.linkReport as { rttMs: number; jitterMs: number };
    delete out.linkReport;
    Object.assign(out, { rttMs, jitterMs });
  }
  if (type === 21) {
    const frames = (rest as { frames: ConfirmedFrame[] }).frames;
    out.count = frames.length;
    out.firstTick = frames.length > 0 ? frames[0].tick : (specFirstTick ?? 0);
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

function toBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return Uint8Array.from(chunk);
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
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
    const join = async (name: string, snapshot?: (tick: number) => Uint8Array) => {
      const c = await connect({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username: name,
        snapshot,
      });
      open.push(c);
      return c;
    };
    const ann: GameClient = await join('ann');
    const bob: GameClient = await join('bob', (tick) => Uint8Array.of(0xb0, tick));
    const received = new Map<GameClient, ConfirmedFrame[]>([
      [ann, []],
      [bob, []],
    ]);
    for (const [c, list] of received) c.frames$.subscribe((f) => list.push(f));
    const worldStates: Uint8Array[] = [];
    bob.worldState$.subscribe((w) => worldStates.push(w));
    const chats: string[] = [];
    bob.chat$.subscribe((m) => chats.push(`${m.from}: ${m.text}`));

    // Inputs with held buttons and changes, so the compression has repeats and new values.
    const sent = new Map<GameClient, Map<number, Uint8Array>>([
      [ann, new Map()],
      [bob, new Map()],
    ]);
    const play = (c: GameClient, n: number): void => {
      for (let i = 0; i < n; i++) {
        const tick = c.startTick + c.inputsSent;
        const input = Uint8Array.of(c === ann ? 0x01 : 0x80, Math.floor(tick / 4));
        sent.get(c)!.set(tick, input);
        c.sendInput(input);
      }
    };
    const N = 40;
    play(ann, N);
    play(bob, N);
    await waitFor(() => received.get(ann)!.length >= N && received.get(bob)!.length >= N, {
      message: `${N} frames on both clients`,
    });

    // Checksums that differ: a Desync for every player, and bob's Snapshot.
    ann.reportChecksum(5, 111);
    bob.reportChecksum(5, 222);
    await waitFor(() => serverEvents.some((e) => e.type === 'snapshot'), {
      message: 'the desync and the snapshot',
    });
    ann.sendChat('hello');
    await waitFor(() => chats.length > 0, { message: 'the chat line' });
    expect(server.sendWorldState(bob.playerId, Uint8Array.of(1, 2, 3))).toBe(true);
    await waitFor(() => worldStates.length > 0, { message: 'the world state' });

    // The optional pair of 6.1 (rttMs, jitterMs) goes in every 32nd packet once a client has
    // measured the round trip: wait until one has gone out (keepalives go every tick).
    await waitFor(
      () =>
        cap.datagrams.some(
          (d) => d.to === server.address.udpPort && envelope(d.bytes, 1400).length === 12,
        ),
      { message: 'an Inputs packet with rttMs and jitterMs' },
    );

    // ann leaves; bob's next input completes the frame that names the leave.
    await ann.close();
    play(bob, 1);
    await waitFor(() => received.get(bob)!.some((f) => f.left !== undefined), {
      message: "the frame naming ann's leave",
    });
    await server.close();
    await bob.closed;
    restore();

    // --- TCP: reassemble each direction of each connection, decode every message.
    const { tcpPort, udpPort: serverUdp } = server.address;
    const clientTcpPorts = [
      ...new Set(cap.writes.filter((w) => w.to === tcpPort).map((w) => w.from)),
    ];
    expect(clientTcpPorts).toHaveLength(2);
    const sessions = clientTcpPorts.map((port) => {
      const up = tcpMessages(cap.writes, port, tcpPort);
      const down = tcpMessages(cap.writes, tcpPort, port);
      const upSpec = up.map((m) => specDecode(m, 'tcp-to-server'));
      const downSpec = down.map((m) => specDecode(m, 'tcp-to-client'));
      up.forEach((m, i) => expect(upSpec[i]).toEqual(libraryAsSpec(decodeClientTcp(m))));
      down.forEach((m, i) => expect(downSpec[i]).toEqual(libraryAsSpec(decodeServerTcp(m))));
      return { up: upSpec, down: downSpec };
    });
    const sessionOf = (c: GameClient) => {
      const s = sessions.find((x) => x.up[0].username === c.username);
      expect(s).toBeDefined();
      return s!;
    };
    const annTcp = sessionOf(ann);
    const bobTcp = sessionOf(bob);
    expect(annTcp.up.map((m) => m.name)).toEqual(['Join', 'Chat', 'Leave']);
    expect(bobTcp.up.map((m) => m.name)).toEqual(['Join', 'Snapshot']);
    expect(bobTcp.up[1]).toEqual({ name: 'Snapshot', tick: 5, data: Uint8Array.of(0xb0, 5) });
    expect(annTcp.down.map((m) => m.name)).toEqual(['JoinAccepted', 'Desync', 'ChatBroadcast']);
    expect(bobTcp.down.map((m) => m.name)).toEqual([
      'JoinAccepted',
      'Desync',
      'ChatBroadcast',
      'Goodbye',
    ]);
    expect(bobTcp.down[3]).toMatchObject({ name: 'Goodbye', reason: 'server-closing' });
    expect(annTcp.down[1]).toEqual({
      name: 'Desync',
      tick: 5,
      checksums: [
        { playerId: ann.playerId, checksum: 111 },
        { playerId: bob.playerId, checksum: 222 },
      ].sort((a, b) => a.playerId - b.playerId),
    });
    expect(annTcp.down[2]).toEqual({ name: 'ChatBroadcast', from: 'ann', text: 'hello' });

    // The join, as the document says: the client's UDP port up, the match's rules down.
    const clients = [ann, bob].map((c) => {
      const s = sessionOf(c);
      const [joinMsg, accepted] = [s.up[0], s.down[0]];
      expect(joinMsg).toMatchObject({ name: 'Join', protocolVersion: 1, username: c.username });
      expect(accepted).toMatchObject({
        name: 'JoinAccepted',
        playerId: c.playerId,
        udpPort: serverUdp,
        tickRate: 100,
        inputSize: 2,
        maxPlayers: 4,
        startTick: c.startTick,
      });
      return { client: c, udpPort: joinMsg.udpPort as number, token: accepted.token as number };
    });
    const ctx: Ctx = {
      inputSize: sessions[0].down[0].inputSize as number,
      maxPlayers: sessions[0].down[0].maxPlayers as number,
    };

    // --- UDP: every datagram, by the document and by the library.
    expect(cap.datagrams.length).toBeGreaterThan(2 * N);
    for (const d of cap.datagrams) expect(d.bytes.length).toBeLessThanOrEqual(1200);
    for (const { client, udpPort, token } of clients) {
      const up = cap.datagrams.filter((d) => d.from === udpPort && d.to === serverUdp);
      const down = cap.datagrams.filter((d) => d.from === serverUdp && d.to === udpPort);
      expect(up.length).toBeGreaterThan(0);
      expect(down.length).toBeGreaterThan(0);

      // Inputs: what the client submitted for each tick, every copy the same.
      const inputsByTick = new Map<number, Uint8Array>();
      const reports = new Set<string>();
      for (const d of up) {
        const spec = specDecode(d.bytes, 'udp-to-server', ctx);
        expect(spec).toEqual(libraryAsSpec(decodeClientUdp(d.bytes, ctx)));
        expect(spec.token).toBe(token);
        (spec.inputs as Uint8Array[]).forEach((input, i) => {
          const tick = (spec.firstTick as number) + i;
          const before = inputsByTick.get(tick);
          if (before) expect(input).toEqual(before);
          inputsByTick.set(tick, input);
        });
        for (const c of spec.checksums as { tick: number; checksum: number }[])
          reports.add(`${c.tick}:${c.checksum}`);
      }
      expect([...inputsByTick.entries()].sort((a, b) => a[0] - b[0])).toEqual(
        [...sent.get(client)!.entries()].sort((a, b) => a[0] - b[0]),
      );
      expect([...reports]).toEqual([client === ann ? '5:111' : '5:222']);

      // Frames: every copy of a tick the same, and together exactly what frames$ delivered.
      const framesByTick = new Map<number, unknown>();
      const worlds: Spec[] = [];
      for (const d of down) {
        const spec = specDecode(d.bytes, 'udp-to-client', ctx);
        if (spec.name === 'WorldState') {
          worlds.push(spec);
          expect(spec).toEqual(libraryAsSpec(decodeServerUdp(d.bytes, ctx)));
          continue;
        }
        specFirstTick = spec.firstTick as number;
        expect(spec).toEqual(libraryAsSpec(decodeServerUdp(d.bytes, ctx)));
        for (const f of spec.frames as { tick: number }[]) {
          const before = framesByTick.get(f.tick);
          if (before) expect(f).toEqual(before);
          framesByTick.set(f.tick, f);
        }
      }
      const delivered = received.get(client)!;
      expect([...framesByTick.values()].sort((a, b) => tickOf(a) - tickOf(b))).toEqual(delivered);
      expect(worlds).toEqual(
        client === bob ? [{ name: 'WorldState', seq: 1, data: Uint8Array.of(1, 2, 3) }] : [],
      );
    }

    // The frame stream carries membership (7.5): both joins at tick 0, ann's leave later.
    const bobFrames = received.get(bob)!;
    expect(bobFrames[0].joined?.map((p) => p.username).sort()).toEqual(['ann', 'bob']);
    expect(bobFrames.find((f) => f.left)?.left).toEqual([
      { playerId: ann.playerId, username: 'ann', reason: 'left' },
    ]);
  });
});

function tickOf(frame: unknown): number {
  return (frame as { tick: number }).tick;
}

// ---------------------------------------------------------------------------------------

/** The hex block after `<!-- hex: name -->` in docs/protocol.md. */
function docHex(name: string): Uint8Array {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const at = doc.indexOf(`<!-- hex: ${name} -->`);
  expect(at).toBeGreaterThanOrEqual(0);
  const block = /```\n([0-9a-f ]+)\n```/.exec(doc.slice(at));
  expect(block).not.toBeNull();
  return Uint8Array.from(block![1].trim().split(/\s+/), (h) => parseInt(h, 16));
}

describe('docs/protocol.md, worked examples', () => {
  const ctx: Ctx = { inputSize: 2, maxPlayers: 4 };

  it('13.1: the Inputs packet decodes to what the document says', () => {
    const bytes = docHex('inputs');
    const spec = specDecode(bytes, 'udp-to-server', ctx);
    expect(spec).toEqual({
      name: 'Inputs',
      token: 0x9e3779b9,
      seq: 7,
      sentAt: 51234,
      frameAck: 41,
      rxLoss: 13,
      firstTick: 42,
      inputs: [
        Uint8Array.of(0x00, 0x00),
        Uint8Array.of(0x00, 0x00),
        Uint8Array.of(0x80, 0x01),
        Uint8Array.of(0x80, 0x01),
      ],
      checksums: [{ tick: 40, checksum: 0xdeadbeef }],
    });
    expect(spec).toEqual(libraryAsSpec(decodeClientUdp(bytes, ctx)));
  });

  it('13.2: the Frames packet decodes to what the document says', () => {
    const bytes = docHex('frames');
    const spec = specDecode(bytes, 'udp-to-client', ctx);
    const A = Uint8Array.of(0x00, 0x10);
    const C = Uint8Array.of(0xff, 0xff);
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
      frames: [
        { tick: 42, inputs: [A, Uint8Array.of(0x40, 0x00), null, null] },
        {
          tick: 43,
          inputs: [A, Uint8Array.of(0x40, 0x01), null, C],
          joined: [{ playerId: 3, username: 'cat' }],
        },
        {
          tick: 44,
          inputs: [A, null, null, C],
          left: [{ playerId: 1, username: 'bob', reason: 'timeout' }],
        },
      ],
    });
    specFirstTick = 42;
    expect(spec).toEqual(libraryAsSpec(decodeServerUdp(bytes, ctx)));
  });

  it('the rules of sections 3 and 7 reject what the library rejects', () => {
    const inputs = docHex('inputs');
    const frames = docHex('frames');
    const mutate = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
      const copy = bytes.slice();
      copy[at] = value;
      return copy;
    };
    const cases: [string, Uint8Array, Channel][] = [
      ['another version', mutate(inputs, 2, 2), 'udp-to-server'],
      ['bad magic', mutate(inputs, 0, 0x48), 'udp-to-server'],
      ['a byte after the body', Uint8Array.of(...inputs, 0x00), 'udp-to-server'],
      ['a wrong element count', mutate(inputs, 3, 0x99), 'udp-to-server'],
      // The last bit-field byte 0x20 -> 0x21: a padding bit set.
      ['non-zero padding', mutate(inputs, inputs.indexOf(0x91) - 1, 0x21), 'udp-to-server'],
      // Frames: count 3 -> 4, so the bit field ends early.
      ['a bit field cut short', mutate(frames, 14, 0x04), 'udp-to-client'],
      // The leave reason 1 -> 4: outside LEAVE_REASONS.
      ['an unknown leave reason', mutate(frames, frames.length - 1, 0x04), 'udp-to-client'],
      ['over 1400 bytes', new Uint8Array(1401), 'udp-to-server'],
    ];
    for (const [what, bytes, channel] of cases) {
      expect(() => specDecode(bytes, channel, ctx), what).toThrow(SpecError);
      const library =
        channel === 'udp-to-server'
          ? () => decodeClientUdp(bytes, ctx)
          : () => decodeServerUdp(bytes, ctx);
      expect(library, what).toThrow();
    }
  });
});
