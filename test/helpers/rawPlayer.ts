/**
 * A player that speaks the wire protocol by hand over the Node transport, for tests that need
 * to do what `connect` never would: announce nothing, stop reading, send from other ports,
 * forge a token.
 *
 * @example
 * const p = await rawJoin(server, 'nat');
 * p.sendFrom(udpSocket, inputsPacketBytes); // token + message, to the server's UDP port
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
import { waitFor } from './waitFor.js';

export interface RawPlayer {
  readonly tcp: net.Socket;
  readonly accepted: JoinAccepted;
  /** The tick its inputs count from: it said Ready, and the server answered Seated. */
  readonly startTick: number;
  /** From the server's signal: where to send datagrams, and the token to put before them. */
  readonly udpPort: number;
  readonly token: number;
  /** Every message the server sent on TCP, decoded, in order. */
  readonly messages: ServerTcpMessage[];
  /** Sends `message` from `socket` to the server, with this player's token in front. */
  sendFrom(socket: dgram.Socket, message: Uint8Array, token?: number): void;
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
  const view = new DataView(signal.data.buffer, signal.data.byteOffset, signal.data.byteLength);
  const udpPort = view.getUint16(0);
  const token = view.getUint32(2);
  return {
    tcp,
    accepted,
    startTick,
    udpPort,
    token,
    messages,
    sendFrom: (socket, message, t = token) =>
      socket.send(Buffer.concat([tokenBytes(t), message]), udpPort, '127.0.0.1'),
    close: () => tcp.destroy(),
  };
}
