// Bench child part: the peers' servers, the lockstep relay (bench/relay.ts) as a game
// developer would write it on Colyseus 0.18, on a plain `ws` WebSocket server, or on a bare
// `node:dgram` socket. Run by bench/server.ts (mode 'peer'), measured like the real server.

import * as dgram from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { Room, Server, type Client } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  HOST,
  countReceived,
  counters,
  report,
  serveCommands,
  startWindow,
  type PeerServerConfig,
  type ServerWindow,
} from './common.js';
import { RelayMatch, UDP_HELLO } from './relay.js';

/** What the measuring window needs of a running peer server. */
interface PeerServer {
  readonly port: number;
  frames(): number;
  close(): Promise<void>;
}

/** Counts one message received of `bytes` (the WebSocket servers: no dgram to count). */
function countIn(bytes: number): void {
  counters.packetsIn++;
  counters.bytesIn += bytes;
}

function countOut(messages: number, bytes: number): void {
  counters.packetsOut += messages;
  counters.bytesOut += messages * bytes;
}

/** The `ws` relay: binary messages, one WebSocket per player. */
async function wsRelay(players: number, host: string): Promise<PeerServer> {
  const sockets = new Set<WebSocket>();
  const match = new RelayMatch(players, (frame) => {
    for (const ws of sockets) ws.send(frame);
    countOut(sockets.size, frame.length);
  });
  const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    const index = match.join();
    if (index === undefined) return ws.close();
    sockets.add(ws);
    ws.on('message', (data: Buffer) => {
      countIn(data.length);
      match.input(index, data);
    });
    ws.on('close', () => {
      sockets.delete(ws);
      match.leave();
    });
  });
  return {
    port: (wss.address() as { port: number }).port,
    frames: () => match.frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** The naive UDP relay: one datagram per input, one per frame and player; no acks. */
async function udpRelay(players: number, host: string): Promise<PeerServer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(1024 * 1024);
  countReceived(socket);
  const peers = new Map<string, number>();
  const addresses: { port: number; address: string }[] = [];
  const match = new RelayMatch(players, (frame) => {
    for (const a of addresses) socket.send(frame, a.port, a.address);
  });
  socket.on('message', (data, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    const index = peers.get(key);
    const hello = data.length === 1 && data[0] === UDP_HELLO[0];
    // A hello again: the answer was lost (under loss); answered again, or the bot never joins.
    if (index !== undefined && hello) return socket.send(UDP_HELLO, rinfo.port, rinfo.address);
    if (index !== undefined) return match.input(index, data);
    if (!hello) return;
    const joined = match.join();
    if (joined === undefined) return;
    peers.set(key, joined);
    addresses.push({ port: rinfo.port, address: rinfo.address });
    socket.send(UDP_HELLO, rinfo.port, rinfo.address);
  });
  return {
    port: socket.address().port,
    frames: () => match.frames,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The Colyseus room: bytes messages ('i' in, 'f' broadcast), no state, no patches. */
class RelayRoom extends Room {
  maxClients = 256;
  patchRate = null;
  private match!: RelayMatch;
  private readonly indexes = new WeakMap<Client, number>();

  onCreate(options: { players: number }): void {
    this.match = new RelayMatch(options.players, (frame) => {
      this.broadcastBytes('f', frame, {});
      countOut(this.clients.length, frame.length);
    });
    relayRooms.push(this.match);
    this.onMessageBytes('i', (client, message: Uint8Array) => {
      countIn(message.length);
      const index = this.indexes.get(client);
      if (index !== undefined) this.match.input(index, message);
    });
  }

  onJoin(client: Client): void {
    const index = this.match.join();
    if (index !== undefined) this.indexes.set(client, index);
  }

  onLeave(): void {
    this.match.leave();
  }
}

const relayRooms: RelayMatch[] = [];

async function colyseusRelay(host: string): Promise<PeerServer> {
  const http = createHttpServer();
  const transport = new WebSocketTransport({ server: http, perMessageDeflate: false });
  const server = new Server({ transport, greet: false, gracefullyShutdown: false });
  server.define('relay', RelayRoom);
  await server.listen(0, host);
  const address = http.address();
  if (!address || typeof address === 'string') throw new Error('colyseus: no port');
  return {
    port: address.port,
    frames: () => relayRooms.reduce((n, m) => n + m.frames, 0),
    close: () => server.gracefullyShutdown(false),
  };
}

/** Runs a peer server child: 'ready' with its port, then windows like the game server's. */
export async function runPeerServer(cfg: PeerServerConfig): Promise<void> {
  const host = cfg.host ?? HOST;
  const server =
    cfg.kind === 'ws'
      ? await wsRelay(cfg.players, host)
      : cfg.kind === 'udp'
        ? await udpRelay(cfg.players, host)
        : await colyseusRelay(host);
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type !== 'measure') return;
      const frames0 = server.frames();
      const end = startWindow();
      setTimeout(() => {
        const out: ServerWindow = {
          ...end(),
          frames: server.frames() - frames0,
          warnings: {},
          drops: 0,
        };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    () => server.close(),
  );
  report({ type: 'ready', tcpPort: server.port, udpPort: server.port });
}
