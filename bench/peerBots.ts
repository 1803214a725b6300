// Bench child part: the peers' bots, players of the lockstep relay (bench/relay.ts) over
// Colyseus's SDK, a `ws` WebSocket, or a bare dgram socket, on the bench's load generator
// (runSchedule, createController, the same windows as bench/clients.ts). Run by
// bench/clients.ts (mode 'peer').

import * as dgram from 'node:dgram';
import { Client as ColyseusClient, type Room as ColyseusRoom } from '@colyseus/sdk';
import WebSocket from 'ws';
import {
  HOST,
  countReceived,
  counters,
  createController,
  trackedFields,
  report,
  runSchedule,
  serveCommands,
  sleep,
  startWindow,
  type ClientsWindow,
  type PeerClientsConfig,
  type Schedule,
} from './common.js';
import { StallProbe } from './stallProbe.js';
import { UDP_HELLO, encodeInput, tickOf } from './relay.js';

/** One player's connection: sends input messages, calls `onFrame` with each frame. */
interface Link {
  send(message: Uint8Array): void;
  close(): Promise<void>;
  /** Resolves when the connection ended (by either side). */
  readonly closed: Promise<void>;
  onFrame: (frame: Uint8Array) => void;
}

interface Bot {
  readonly link: Link;
  readonly next: () => Uint8Array;
  /** When the input for tick i was sent (ms), 0 if not yet. */
  readonly sentAt: Float64Array | undefined;
  sent: number;
  lastFrameTick: number;
  framesReceived: number;
}

const JOIN_CONCURRENCY = 8;
const MAX_BURST = 32;

function countOut(bytes: number): void {
  counters.packetsOut++;
  counters.bytesOut += bytes;
}

function countIn(bytes: number): void {
  counters.packetsIn++;
  counters.bytesIn += bytes;
}

/** Where a bot's connections go: the server's address and port, its own sockets' address. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly bindHost: string;
}

async function wsLink({ host, port }: Target): Promise<Link> {
  const ws = new WebSocket(`ws://${host}:${port}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const link: Link = {
    send(message) {
      countOut(message.length);
      ws.send(message);
    },
    close: async () => {
      ws.close();
      await closed;
    },
    closed,
    onFrame: () => {},
  };
  ws.on('message', (data: Buffer) => {
    countIn(data.length);
    link.onFrame(data);
  });
  return link;
}

async function udpLink({ host, port, bindHost }: Target): Promise<Link> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, bindHost, resolve));
  countReceived(socket);
  // Join: hello until the server answers (bounded: 50 tries, 100 ms apart).
  await new Promise<void>((resolve, reject) => {
    let tries = 0;
    const hello = (): void => {
      if (++tries > 50) {
        clearInterval(timer);
        reject(new Error('udp relay: no answer to hello'));
        return;
      }
      socket.send(UDP_HELLO, port, host);
    };
    const timer = setInterval(hello, 100);
    socket.once('message', () => {
      clearInterval(timer);
      resolve();
    });
    hello();
  });
  let closeSocket: () => void = () => {};
  const closed = new Promise<void>((resolve) => (closeSocket = resolve));
  const link: Link = {
    send: (message) => socket.send(message, port, host),
    close: async () => {
      socket.close(() => closeSocket());
      await closed;
    },
    closed,
    onFrame: () => {},
  };
  socket.on('message', (data: Buffer) => {
    if (data.length >= 4) link.onFrame(data);
  });
  return link;
}

function colyseusLink(room: ColyseusRoom): Link {
  // A drop counts as a disconnection even if the SDK then reconnects (its default).
  const closed = new Promise<void>((resolve) => {
    room.onLeave(() => resolve());
    room.onDrop(() => resolve());
  });
  const link: Link = {
    send(message) {
      countOut(message.length);
      room.sendBytes('i', message);
    },
    close: async () => {
      // No reconnection attempts once the bench stops (the server may be gone already).
      room.reconnection.enabled = false;
      void room.leave(false);
      await Promise.race([closed, sleep(2000)]);
    },
    closed,
    onFrame: () => {},
  };
  room.onMessage('f', (payload: Uint8Array) => {
    countIn(payload.length);
    link.onFrame(payload);
  });
  return link;
}

/** Connects `count` links, JOIN_CONCURRENCY at a time; the Colyseus room's id with them. */
async function connectAll(
  cfg: PeerClientsConfig,
): Promise<{ links: Link[]; roomId: string | undefined }> {
  const links: Link[] = [];
  let roomId = cfg.roomId;
  const target: Target = {
    host: cfg.host ?? HOST,
    port: cfg.port,
    bindHost: cfg.bindHost ?? HOST,
  };
  const colyseus =
    cfg.kind === 'colyseus' ? new ColyseusClient(`http://${target.host}:${cfg.port}`) : undefined;
  const one = async (): Promise<Link> => {
    if (cfg.kind === 'ws') return wsLink(target);
    if (cfg.kind === 'udp') return udpLink(target);
    const room = await colyseus!.joinById(roomId!);
    return colyseusLink(room);
  };
  if (colyseus && roomId === undefined) {
    const room = await colyseus.create('relay', { players: cfg.players });
    roomId = room.roomId;
    links.push(colyseusLink(room));
  }
  let next = links.length;
  const worker = async (): Promise<void> => {
    while (next < cfg.clients) {
      const i = next++;
      links[i] = await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, cfg.clients) }, worker));
  } catch (err) {
    await Promise.all(links.filter(Boolean).map((l) => l.close()));
    throw err;
  }
  return { links, roomId };
}

/** Runs a peer bots child: joins, 'ready'; on 'start' sends at 60 Hz; windows on 'measure'. */
export async function runPeerBots(cfg: PeerClientsConfig): Promise<void> {
  const { links, roomId } = await connectAll(cfg);
  let measuring = false;
  let stopping = false;
  let disconnected = 0;
  let latencies: number[] = [];
  let afterLast: number[] = [];
  /** Per tick, when the last bot sent its input for it (latency runs only). */
  const lastSentAt = cfg.latency ? new Float64Array(cfg.maxTicks + 1) : undefined;
  const groups: Bot[][] = Array.from({ length: cfg.groups }, () => []);
  const bots = links.map((link, i): Bot => {
    const bot: Bot = {
      link,
      next: createController('held', cfg.seed * 1000 + i),
      sentAt: cfg.latency ? new Float64Array(cfg.maxTicks + 1) : undefined,
      sent: 0,
      lastFrameTick: -1,
      framesReceived: 0,
    };
    link.onFrame = (frame) => {
      const tick = tickOf(frame);
      bot.framesReceived++;
      if (tick > bot.lastFrameTick) bot.lastFrameTick = tick;
      if (!measuring || !bot.sentAt) return;
      const sent = bot.sentAt[tick];
      if (!(sent > 0)) return;
      const now = performance.now();
      latencies.push(now - sent);
      afterLast.push(now - lastSentAt![tick]);
    };
    void link.closed.then(() => {
      if (!stopping) disconnected++;
    });
    groups[i % cfg.groups].push(bot);
    return bot;
  });
  const lagOf = (): number => {
    let sum = 0;
    for (const b of bots) sum += b.sent - 1 - b.lastFrameTick;
    return sum / bots.length;
  };
  let lagMax = 0;
  let probe: StallProbe | undefined;
  let schedule: Schedule | undefined;
  const sendNext = (bot: Bot): void => {
    if (stopping || bot.sent >= cfg.maxTicks) return;
    const message = encodeInput(bot.sent, bot.next());
    if (bot.sentAt && lastSentAt) {
      const now = performance.now();
      bot.sentAt[bot.sent] = now;
      lastSentAt[bot.sent] = Math.max(lastSentAt[bot.sent], now);
    }
    bot.sent++;
    bot.link.send(message);
  };
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type === 'start') {
        schedule = runSchedule(cfg.groups, cfg.maxTicks, (g, tick) => {
          for (const bot of groups[g])
            for (let n = 0; n < MAX_BURST && bot.sent <= tick; n++) sendNext(bot);
          if (g === 0 && measuring) lagMax = Math.max(lagMax, lagOf());
          if (g === 0) probe?.sample();
        });
        report({ type: 'started' });
        return;
      }
      if (cmd.type !== 'measure') return;
      latencies = [];
      afterLast = [];
      lagMax = 0;
      const lagStart = lagOf();
      const sent0 = bots.reduce((n, b) => n + b.sent, 0);
      const received0 = bots.reduce((n, b) => n + b.framesReceived, 0);
      const disconnected0 = disconnected;
      schedule?.takeLateness();
      probe = undefined;
      if (cmd.stallMs) {
        probe = new StallProbe(
          () =>
            (schedule?.clockTick() ?? NaN) -
            bots.reduce((n, b) => n + b.lastFrameTick, 0) / bots.length,
        );
        probe.arm(cmd.stallMs, 1000);
      }
      measuring = true;
      const end = startWindow();
      setTimeout(() => {
        measuring = false;
        const late = schedule?.takeLateness() ?? [];
        const out: ClientsWindow = {
          ...end(),
          sent: bots.reduce((n, b) => n + b.sent, 0) - sent0,
          received: bots.reduce((n, b) => n + b.framesReceived, 0) - received0,
          ...(cfg.latency ? { latencyMs: latencies, afterLastMs: afterLast } : {}),
          ...trackedFields({
            lagStart,
            lagEnd: lagOf(),
            lagMax,
            late,
            disconnected: disconnected - disconnected0,
          }),
          ...(probe ? { stall: probe.result() } : {}),
        };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    async () => {
      stopping = true;
      schedule?.stop();
      await Promise.all(bots.map((b) => b.link.close()));
    },
  );
  report({ type: 'ready', ...(roomId ? { roomId } : {}) });
}
