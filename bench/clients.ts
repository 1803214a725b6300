// Bench child: the bots, in their own process so that the server's process is measured
// alone. Either real clients (connect) that call sendInput at 60 Hz, or raw node:dgram
// sockets that send datagrams of a given size at 60 Hz (the baseline's traffic).
//
//   node --import tsx bench/clients.ts '<ClientsConfig as JSON>'

import * as dgram from 'node:dgram';
import { connect, type GameClient } from '../src/node.js';
import { decodeClientUdp } from '../src/protocol/index.js';
import { COUNTER_BYTES, TAG_BYTES } from '../src/transport/node/datagramSeal.js';
import { TOKEN_BYTES, readToken } from '../src/transport/node/sessionToken.js';
import {
  HOST,
  INPUT_SIZE,
  childConfig,
  countReceived,
  createController,
  instrumentDgram,
  trackedFields,
  latenessOf,
  report,
  runSchedule,
  sleep,
  serveCommands,
  startRecording,
  startWindow,
  stopRecording,
  type ClientsConfig,
  type ClientsWindow,
  type GameClientsConfig,
  type Schedule,
  type SendSizes,
  type UdpClientsConfig,
} from './common.js';
import { naiveSize } from './naive.js';
import { StallProbe } from './stallProbe.js';

const config = childConfig<ClientsConfig>();
instrumentDgram();

/** Joins this many at a time. */
const JOIN_CONCURRENCY = 8;
/**
 * Joins at most this many bots per frame: a frame names every player who joins at its
 * tick, and the names of more than about 100 players do not fit in one datagram.
 */
const JOIN_BATCH = 32;
/** A late bot sends at most this many overdue inputs in one turn. */
const MAX_BURST = 32;

interface Bot {
  readonly client: GameClient;
  readonly next: () => Uint8Array;
  /** When the input for tick `startTick + i` was sent (ms), 0 if not yet. */
  readonly sentAt: Float64Array | undefined;
  framesReceived: number;
}

async function joinBatch(
  cfg: GameClientsConfig,
  first: number,
  count: number,
): Promise<GameClient[]> {
  const clients: GameClient[] = [];
  let nextIndex = 0;
  const join = async (): Promise<void> => {
    while (nextIndex < count) {
      const i = nextIndex++;
      const id = first + i;
      clients[i] = await connect({
        host: cfg.host ?? HOST,
        port: cfg.tcpPort,
        username: `${cfg.namePrefix ?? 'bot'}${id}`,
        connectTimeoutMs: cfg.connectTimeoutMs ?? 10_000,
        ...(cfg.conditioner
          ? { conditioner: { ...cfg.conditioner, seed: (cfg.conditioner.seed ?? 1) + 1 + id } }
          : {}),
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, count) }, join));
  } catch (err) {
    await Promise.all(clients.filter(Boolean).map((c) => c.close()));
    throw err;
  }
  return clients;
}

/**
 * The bots: the first batch joins before 'ready' (a match of up to 32 players starts
 * together, at tick 0). On 'start' they send inputs at 60 Hz, on one tick clock: the input
 * for tick T goes at `t0 + (T + g / groups) * TICK_MS` for a bot of group g. Further batches
 * join once the frames have moved past the last batch's join tick, and catch up with the
 * clock; 'started' is reported when every bot plays.
 */
async function runGame(cfg: GameClientsConfig): Promise<void> {
  const bots: Bot[] = [];
  const groups: Bot[][] = Array.from({ length: cfg.groups }, () => []);
  let measuring = false;
  let stopping = false;
  let disconnected = 0;
  let latencies: number[] = [];
  let afterLast: number[] = [];
  /** Per tick (absolute), when the last bot sent its input for it (latency runs only). */
  const lastSentAt = new Map<number, number>();
  let warnings: Record<string, number> = {};

  const addBots = (clients: GameClient[]): void => {
    for (const client of clients) {
      const i = bots.length;
      const bot: Bot = {
        client,
        next: createController(cfg.pattern, cfg.seed * 1000 + i),
        sentAt: cfg.latency ? new Float64Array(cfg.maxTicks + 1) : undefined,
        framesReceived: 0,
      };
      client.frames$.subscribe((frame) => {
        bot.framesReceived++;
        if (!measuring || !bot.sentAt) return;
        const sent = bot.sentAt[frame.tick - client.startTick];
        if (sent <= 0) return;
        const now = performance.now();
        latencies.push(now - sent);
        const last = lastSentAt.get(frame.tick);
        if (last !== undefined) afterLast.push(now - last);
      });
      client.events$.subscribe((e) => {
        if (e.type === 'warning') warnings[e.code] = (warnings[e.code] ?? 0) + 1;
        // A link lost and found again (under loss): counted beside the warnings.
        else if (e.type === 'reconnecting' || e.type === 'reconnected')
          warnings[e.type] = (warnings[e.type] ?? 0) + 1;
      });
      void client.closed.then(() => {
        if (!stopping) disconnected++;
      });
      bots.push(bot);
      groups[i % cfg.groups].push(bot);
    }
  };
  addBots(await joinBatch(cfg, 0, Math.min(JOIN_BATCH, cfg.clients)));

  const lagOf = (): number => {
    let sum = 0;
    for (const { client } of bots)
      sum += client.startTick + client.inputsSent - 1 - client.lastFrameTick;
    return sum / bots.length;
  };
  let lagMax = 0;
  let probe: StallProbe | undefined;
  let schedule: Schedule | undefined;

  const sendNext = (bot: Bot): void => {
    const c = bot.client;
    if (stopping || c.inputsSent >= cfg.maxTicks) return;
    const input = bot.next();
    if (bot.sentAt) {
      const now = performance.now();
      bot.sentAt[c.inputsSent] = now;
      const tick = c.startTick + c.inputsSent;
      lastSentAt.set(tick, Math.max(lastSentAt.get(tick) ?? 0, now));
      lastSentAt.delete(tick - 600); // bounded: ten seconds of ticks
    }
    c.sendInput(input);
  };
  if (cfg.backToBack)
    for (const bot of bots)
      bot.client.frames$.subscribe((frame) => {
        if (frame.tick === bot.client.startTick + bot.client.inputsSent - 1) sendNext(bot);
      });

  const start = async (): Promise<void> => {
    if (cfg.backToBack) {
      for (const bot of bots) sendNext(bot);
      report({ type: 'started' });
      return;
    }
    schedule = runSchedule(cfg.groups, cfg.maxTicks, (g, tick) => {
      for (const bot of groups[g]) {
        const c = bot.client;
        // Bounded: this turn's tick and at most MAX_BURST overdue ones.
        for (let n = 0; n < MAX_BURST && c.startTick + c.inputsSent <= tick; n++) sendNext(bot);
      }
      if (g === 0 && measuring) lagMax = Math.max(lagMax, lagOf());
      if (g === 0) probe?.sample();
    });
    while (bots.length < cfg.clients) {
      // Let the frames pass the last batch's join tick, so one frame names one batch.
      const joinedAt = Math.max(...bots.map((b) => b.client.startTick));
      const deadline = performance.now() + 5000;
      while (performance.now() < deadline && bots.some((b) => b.client.lastFrameTick < joinedAt))
        await sleep(10);
      addBots(await joinBatch(cfg, bots.length, Math.min(JOIN_BATCH, cfg.clients - bots.length)));
    }
    report({ type: 'started' });
  };
  if (process.env.BENCH_DEBUG) {
    const t0 = performance.now();
    setInterval(() => {
      process.stderr.write(
        `[bots] t=${((performance.now() - t0) / 1000).toFixed(1)} bots=${bots.length} lag=${lagOf().toFixed(1)} maxStart=${Math.max(...bots.map((b) => b.client.startTick))} minFrame=${Math.min(...bots.map((b) => b.client.lastFrameTick))}\n`,
      );
    }, 250).unref();
  }

  serveCommands(
    cfg.lifetimeMs,
    async (cmd) => {
      if (cmd.type === 'start') await start();
      if (cmd.type !== 'measure') return;
      latencies = [];
      afterLast = [];
      warnings = {};
      lagMax = 0;
      const lagStart = lagOf();
      const sent0 = bots.reduce((n, b) => n + b.client.inputsSent, 0);
      const received0 = bots.reduce((n, b) => n + b.framesReceived, 0);
      const disconnected0 = disconnected;
      schedule?.takeLateness();
      probe = undefined;
      if (cmd.stallMs) {
        probe = new StallProbe(
          () =>
            (schedule?.clockTick() ?? NaN) -
            bots.reduce((n, b) => n + b.client.lastFrameTick, 0) / bots.length,
        );
        probe.arm(cmd.stallMs, 1000);
      }
      if (cfg.recordSends) startRecording();
      measuring = true;
      const end = startWindow();
      setTimeout(() => {
        measuring = false;
        const window = end();
        const late = schedule?.takeLateness() ?? [];
        const sends = cfg.recordSends ? inputSizesOf(stopRecording(), bots[0].client) : undefined;
        const out: ClientsWindow = {
          ...window,
          sent: bots.reduce((n, b) => n + b.client.inputsSent, 0) - sent0,
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
          warnings,
          ...(sends ? { sends } : {}),
        };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    async () => {
      stopping = true;
      schedule?.stop();
      await Promise.all(bots.map((b) => b.client.close()));
    },
  );
  report({ type: 'ready' });
}

/**
 * Sizes of the inputs packets the bots sent, and of the same content encoded naively. Each
 * datagram is the Node transport's session token (4 bytes) then the message: its size is
 * the whole datagram's, and the naive content has the token as one more field (as the
 * message of protocol v1 had it).
 */
function inputSizesOf(datagrams: Uint8Array[], client: GameClient): SendSizes {
  const ctx = { inputSize: INPUT_SIZE, maxPlayers: client.maxPlayers };
  const out: SendSizes = { bytes: [], naiveBytes: [], items: [] };
  for (const d of datagrams) {
    const token = readToken(d);
    const msg = decodeClientUdp(d.subarray(TOKEN_BYTES + COUNTER_BYTES, d.length - TAG_BYTES), ctx);
    out.bytes.push(d.length);
    out.naiveBytes.push(naiveSize({ token, ...msg }));
    out.items.push(msg.inputs.length);
  }
  return out;
}

async function runUdp(cfg: UdpClientsConfig): Promise<void> {
  const sockets: dgram.Socket[] = [];
  for (let i = 0; i < cfg.clients; i++) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, cfg.bindHost ?? HOST, resolve));
    countReceived(socket);
    sockets.push(socket);
  }
  // Each datagram carries its index, so a reply (an echo of it) gives its round trip.
  const payloadBytes = Math.max(8, cfg.payloadBytes);
  // One send-time array per socket: the sockets of different groups send at different times.
  const sentAt = cfg.latency ? sockets.map(() => new Float64Array(cfg.maxTicks)) : undefined;
  let measuring = false;
  let latencies: number[] = [];
  let received = 0;
  let sent = 0;
  if (sentAt && !cfg.backToBack) {
    sockets.forEach((socket, i) =>
      socket.on('message', (data: Buffer) => {
        received++;
        if (!measuring || data.length < 4) return;
        const at = sentAt[i][data.readUInt32BE(0)];
        if (at > 0) latencies.push(performance.now() - at);
      }),
    );
  } else {
    for (const s of sockets) s.on('message', () => received++);
  }
  const groups: dgram.Socket[][] = Array.from({ length: cfg.groups }, () => []);
  sockets.forEach((s, i) => groups[i % cfg.groups].push(s));
  let schedule: Schedule | undefined;

  if (cfg.backToBack) return runBackToBack(cfg, sockets[0], payloadBytes);

  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type === 'start') {
        schedule = runSchedule(cfg.groups, cfg.maxTicks, (g, tickIndex) => {
          for (const socket of groups[g]) {
            const payload = Buffer.alloc(payloadBytes, 0x5a);
            payload.writeUInt32BE(tickIndex, 0);
            if (sentAt) sentAt[sockets.indexOf(socket)][tickIndex] = performance.now();
            socket.send(payload, cfg.udpPort, cfg.host ?? HOST);
            sent++;
          }
        });
        report({ type: 'started' });
        return;
      }
      if (cmd.type !== 'measure') return;
      latencies = [];
      const sent0 = sent;
      const received0 = received;
      schedule?.takeLateness();
      measuring = true;
      const end = startWindow();
      setTimeout(() => {
        measuring = false;
        const late = schedule?.takeLateness() ?? [];
        const out: ClientsWindow = {
          ...end(),
          sent: sent - sent0,
          received: received - received0,
          ...(sentAt ? { latencyMs: latencies } : {}),
          ...latenessOf(late),
          disconnected: 0,
        };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    async () => {
      schedule?.stop();
      await Promise.all(
        sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
    },
  );
  report({ type: 'ready' });
}

/** Ping-pong with no pause: the round trip of a hot loop, without wake-up from idle. */
function runBackToBack(cfg: UdpClientsConfig, socket: dgram.Socket, payloadBytes: number): void {
  const payload = Buffer.alloc(payloadBytes, 0x5a);
  let sentAt = 0;
  let deadline = 0;
  let count = 0;
  let latencies: number[] = [];
  let done: (() => void) | undefined;
  const ping = (): void => {
    sentAt = performance.now();
    socket.send(payload, cfg.udpPort, cfg.host ?? HOST);
  };
  socket.on('message', () => {
    if (!done) return;
    const now = performance.now();
    latencies.push(now - sentAt);
    count++;
    if (now < deadline && count < cfg.maxTicks) ping();
    else done();
  });
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type === 'start') report({ type: 'started' });
      if (cmd.type !== 'measure') return;
      latencies = [];
      count = 0;
      deadline = performance.now() + cmd.ms;
      const end = startWindow();
      // A lost reply would stall the loop: the window ends anyway.
      const guard = setTimeout(() => done?.(), cmd.ms + 1000);
      done = () => {
        done = undefined;
        clearTimeout(guard);
        const out: ClientsWindow = {
          ...end(),
          sent: count,
          received: count,
          latencyMs: latencies,
          lateP99Ms: NaN,
          lateMaxMs: NaN,
          disconnected: 0,
        };
        report({ type: 'measured', window: out });
      };
      ping();
    },
    () => new Promise<void>((resolve) => socket.close(() => resolve())),
  );
  report({ type: 'ready' });
}

(config.mode === 'game'
  ? runGame(config)
  : config.mode === 'peer'
    ? import('./peerBots.js').then((m) => m.runPeerBots(config))
    : runUdp(config)
).catch((err: unknown) => {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
