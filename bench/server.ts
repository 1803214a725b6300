// Bench child: the measured server process. Either the real game server (createServer) or
// the baseline, a raw node:dgram echo server. Both are measured the same way: the process's
// own CPU (process.cpuUsage) over a window the orchestrator asks for.
//
//   node --import tsx bench/server.ts '<ServerConfig as JSON>'

import * as dgram from 'node:dgram';
import { startProfile, stopProfile } from './profile.js';
import { createServer, type GameServer } from '../src/node.js';
import { decodeServerUdp } from '../src/protocol/index.js';
import { COUNTER_BYTES, TAG_BYTES } from '../src/transport/node/datagramSeal.js';
import {
  HOST,
  INPUT_SIZE,
  TICK_RATE,
  childConfig,
  countReceived,
  instrumentDgram,
  report,
  serveCommands,
  startRecording,
  startWindow,
  stopRecording,
  type EchoServerConfig,
  type GameServerConfig,
  type SendSizes,
  type ServerConfig,
  type ServerWindow,
} from './common.js';
import { naiveSize } from './naive.js';

const config = childConfig<ServerConfig>();
instrumentDgram();

async function runGame(cfg: GameServerConfig): Promise<void> {
  const server: GameServer = await createServer({
    host: cfg.host ?? HOST,
    tickRate: TICK_RATE,
    inputSize: INPUT_SIZE,
    maxPlayers: cfg.maxPlayers,
    ...(cfg.conditioner ? { conditioner: cfg.conditioner } : {}),
  });
  let frames = 0;
  let drops = 0;
  let warnings: Record<string, number> = {};
  server.frames$.subscribe(() => frames++);
  server.events$.subscribe((e) => {
    if (e.type === 'warning') warnings[e.code] = (warnings[e.code] ?? 0) + 1;
    else if (e.type === 'drop') drops++;
  });
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type !== 'measure') return;
      const frames0 = frames;
      const drops0 = drops;
      warnings = {};
      if (cfg.recordSends) startRecording();
      const profiling = cfg.profile ? startProfile() : undefined;
      const end = startWindow();
      const finish = async (): Promise<void> => {
        const window = end();
        if (profiling && cfg.profile) await stopProfile(profiling, cfg.profile);
        const sends = cfg.recordSends ? sizesOf(stopRecording(), cfg.maxPlayers) : undefined;
        const out: ServerWindow = {
          ...window,
          frames: frames - frames0,
          warnings,
          drops: drops - drops0,
          ...(sends ? { sends } : {}),
        };
        report({ type: 'measured', window: out });
      };
      setTimeout(() => void finish(), cmd.ms);
    },
    () => server.close(),
  );
  report({ type: 'ready', tcpPort: server.address.tcpPort, udpPort: server.address.udpPort });
}

/** Sizes of the frames packets the server sent, and of the same content encoded naively. */
function sizesOf(datagrams: Uint8Array[], maxPlayers: number): SendSizes {
  const ctx = { inputSize: INPUT_SIZE, maxPlayers };
  const out: SendSizes = { bytes: [], naiveBytes: [], items: [] };
  for (const d of datagrams) {
    const msg = decodeServerUdp(d.subarray(COUNTER_BYTES, d.length - TAG_BYTES), ctx);
    if (!('frames' in msg)) continue; // world state: none in the bench
    out.bytes.push(d.length);
    out.naiveBytes.push(naiveSize(msg));
    out.items.push(msg.frames.length);
  }
  return out;
}

async function runEcho(cfg: EchoServerConfig): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, cfg.host ?? HOST, resolve));
  // The same buffers the library asks for.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(1024 * 1024);
  countReceived(socket);
  const reply = cfg.replyBytes > 0 ? Buffer.alloc(cfg.replyBytes, 0x5a) : undefined;
  socket.on('message', (data, rinfo) => {
    socket.send(reply ?? data, rinfo.port, rinfo.address);
  });
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type !== 'measure') return;
      const end = startWindow();
      setTimeout(() => {
        const out: ServerWindow = { ...end(), frames: 0, warnings: {}, drops: 0 };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    () => new Promise<void>((resolve) => socket.close(() => resolve())),
  );
  report({ type: 'ready', udpPort: socket.address().port });
}

(config.mode === 'game'
  ? runGame(config)
  : config.mode === 'peer'
    ? import('./peerServers.js').then((m) => m.runPeerServer(config))
    : runEcho(config)
).catch((err: unknown) => {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
