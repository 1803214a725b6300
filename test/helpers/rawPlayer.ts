/**
 * A player that speaks the wire protocol by hand over the Node transport, for tests that need
 * to do what `connect` never would: announce nothing, stop reading, send from other ports,
 * forge a token.
 *
 * @example
 * const p = await rawJoin(server, 'nat');
 * p.sendFrom(udpSocket, inputsPacketBytes); // sealed (token, counter, message, tag), to the server's UDP port
 * p.sendForged(udpSocket, inputsPacketBytes); // the token, sealed with a key not the player's
 */
import type * as dgram from 'node:dgram';
import * as net from 'node:net';
import {
  MessageType,
  PROTOCOL_VERSION,
  decodeServerTcp,
  encodeMessage,
  type JoinAccepted,
  type ServerTcpMessage,
} from '../../src/protocol/index.js';
import { frameMessage } from '../../src/sources/fromTcpSocket.js';
import {
  DatagramOpener,
  DatagramSealer,
  Direction,
  randomSessionKey,
} from '../../src/transport/node/datagramSeal.js';
import { decodeUdpSignal } from '../../src/transport/node/udpSignal.js';
import { waitFor } from './waitFor.js';

export interface RawPlayer {
  readonly tcp: net.Socket;
  readonly accepted: JoinAccepted;
  /** The tick its inputs count from: it said Ready, and the server answered Seated. */
  readonly startTick: number;
  /** From the server's signal: where to send datagrams, the token to put before them, the key that seals them. */
  readonly udpPort: number;
  readonly token: number;
  readonly key: Uint8Array;
  /** Every message the server sent on TCP, decoded, in order. */
  readonly messages: ServerTcpMessage[];
  /** Sends `message` from `socket` to the server, sealed with this player's key (under its token, or `token`). */
  sendFrom(socket: dgram.Socket, message: Uint8Array, token?: number): void;
  /** Sends `message` with this player's token but sealed with another key: a forgery. */
  sendForged(socket: dgram.Socket, message: Uint8Array): void;
  /** The message of a datagram from the server (counter and tag checked and stripped). */
  open(datagram: Uint8Array): Uint8Array;
  close(): void;
}

/** Splits a TCP byte stream into length-prefixed messages. */
function framer(onMessage: (bytes: Uint8Array) => void): (chunk: Buffer) => void {
  let held = Buffer.alloc(0);
  return (chunk) => {
    held = Buffer.concat([held, chunk]);
    while (held.length >= 4) {
      const len = held.readUInt32BE(0);
      if (held.length < 4 + len) return;
      onMessage(new Uint8Array(held.subarray(4, 4 + len)));
      held = held.subarray(4 + len);
    }
  };
}

/** The token prefix of a client-to-server datagram on the Node transport. */
export function tokenBytes(token: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, token >>> 0);
  return b;
}

/** Joins `server` over a raw TCP connection and waits for the answer and the UDP signal. */
export async function rawJoin(
  server: { address: { tcpPort: number } },
  username: string,
  password = '',
): Promise<RawPlayer> {
  const tcp = net.connect(server.address.tcpPort, '127.0.0.1');
  const messages: ServerTcpMessage[] = [];
  let ctx: { inputSize: number; maxPlayers: number } | undefined;
  tcp.on(
    'data',
    framer((bytes) => {
      const msg = decodeServerTcp(bytes, ctx);
      if (msg.type === MessageType.JoinAccepted) ctx = msg;
      messages.push(msg);
    }),
  );
  tcp.on('error', () => undefined);
  await new Promise((r) => tcp.once('connect', r));
  tcp.write(
    frameMessage(
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: PROTOCOL_VERSION,
        username,
        password,
      }),
    ),
  );
  await waitFor(() => messages.some((m) => m.type === MessageType.SignalToClient));
  const accepted = messages.find((m) => m.type === MessageType.JoinAccepted);
  const signal = messages.find((m) => m.type === MessageType.SignalToClient);
  if (accepted?.type !== MessageType.JoinAccepted || signal?.type !== MessageType.SignalToClient)
    throw new Error('not accepted');
  // Ready at once: the seat is taken at the tick the server says.
  tcp.write(frameMessage(encodeMessage({ type: MessageType.Ready })));
  await waitFor(() => messages.some((m) => m.type === MessageType.Seated));
  const seated = messages.find((m) => m.type === MessageType.Seated);
  const startTick = seated?.type === MessageType.Seated ? seated.tick : -1;
  const decoded = decodeUdpSignal(signal.data);
  if (typeof decoded === 'string') throw new Error(decoded);
  const { port: udpPort, token, key } = decoded;
  const sealers = new Map<number, DatagramSealer>();
  const sealerOf = (t: number): DatagramSealer => {
    let sealer = sealers.get(t);
    if (!sealer)
      sealers.set(t, (sealer = new DatagramSealer(key, Direction.ToServer, tokenBytes(t))));
    return sealer;
  };
  // Its counters far ahead, so they are fresh (a counter seen already is dropped as a replay
  // before its tag is checked, quietly).
  const forger = new DatagramSealer(
    randomSessionKey(),
    Direction.ToServer,
    tokenBytes(token),
    2 ** 32,
  );
  const opener = new DatagramOpener(key, Direction.ToClient, 0);
  return {
    tcp,
    accepted,
    startTick,
    udpPort,
    token,
    key,
    messages,
    sendFrom: (socket, message, t = token) =>
      socket.send(sealerOf(t).seal(message), udpPort, '127.0.0.1'),
    sendForged: (socket, message) => socket.send(forger.seal(message), udpPort, '127.0.0.1'),
    open: (datagram) => {
      const message = opener.open(datagram);
      if (typeof message === 'string') throw new Error(`a datagram from the server: ${message}`);
      return message;
    },
    close: () => tcp.destroy(),
  };
}
