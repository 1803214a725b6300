// The web demo's page: joins the match over the web transport, draws the dot game on a canvas, moved by the arrow keys.
import {
  connect,
  createWebTransport,
  type GameClient,
  type RtcPeerConnectionFactory,
} from '../src/index.js';
import type { PageState } from '../src/cli/webPageState.js';
import { frameText } from '../src/cli/webFrameText.js';
import { Button, Controller, GRID, Simulation, mixSeed } from '../src/cli/simulation.js';

const COLORS = [
  '#4fc3f7',
  '#ef5350',
  '#66bb6a',
  '#ffa726',
  '#ab47bc',
  '#26c6da',
  '#d4e157',
  '#ec407a',
];
const CELL = 8;
const params = new URLSearchParams(location.search);
const state: PageState = {
  frames: [],
  tick: -1,
  checksum: 0,
  firstTick: -1,
  leaves: [],
  botSums: [],
};
(window as unknown as { gameNetwork: PageState }).gameNetwork = state;

const canvas = document.getElementById('game') as HTMLCanvasElement;
const overlay = document.getElementById('overlay') as HTMLElement;
const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
canvas.width = GRID * CELL;
canvas.height = GRID * CELL;

const held = new Set<string>();
addEventListener('keydown', (e) => {
  if (e.key.startsWith('Arrow') || e.key === ' ') e.preventDefault();
  held.add(e.key);
});
addEventListener('keyup', (e) => held.delete(e.key));

function keyboardInput(size: number): Uint8Array {
  const input = new Uint8Array(size);
  input[0] =
    (held.has('ArrowLeft') ? Button.Left : 0) |
    (held.has('ArrowRight') ? Button.Right : 0) |
    (held.has('ArrowUp') ? Button.Up : 0) |
    (held.has('ArrowDown') ? Button.Down : 0) |
    (held.has(' ') ? Button.Dash : 0);
  return input;
}

/** A peer connection that gathers no candidate: as if UDP were blocked (`?path=websocket`). */
function blockedRtc(): RtcPeerConnectionFactory {
  const Base = RTCPeerConnection;
  return class extends Base {
    constructor(config: RTCConfiguration) {
      super({ ...config, iceTransportPolicy: 'relay' });
    }
  } as unknown as RtcPeerConnectionFactory;
}

const botSums = new Map<string, { tick: number; sum: string }>();
const mySums = new Map<number, string>();
const hex = (n: number): string => n.toString(16).padStart(8, '0');

function draw(sim: Simulation, client: GameClient): void {
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#ffd54f';
  ctx.fillRect(sim.gemX * CELL + 1, sim.gemY * CELL + 1, CELL - 2, CELL - 2);
  sim.dots.forEach((dot, slot) => {
    if (!dot) return;
    ctx.fillStyle = COLORS[slot % COLORS.length] ?? '#fff';
    ctx.beginPath();
    ctx.arc(dot.x * CELL + CELL / 2, dot.y * CELL + CELL / 2, CELL * 0.8, 0, Math.PI * 2);
    ctx.fill();
    if (slot === client.playerId) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  });
  const st = state.stats;
  const lines = [
    `player ${client.playerId}  tick ${sim.tick}  checksum ${hex(state.checksum)}`,
    `path ${st?.path ?? '?'}  rtt ${st?.rttMs?.toFixed(1) ?? '-'} ms  loss in ${((st?.lossIn ?? 0) * 100).toFixed(1)}%  out ${((st?.lossOut ?? 0) * 100).toFixed(1)}%`,
    ...state.botSums.map((b) => {
      const verdict = b.same === undefined ? '' : b.same ? ' = mine' : ' != mine';
      return `${b.name} @${b.tick}: ${b.sum}${verdict}`;
    }),
    ...sim.dots.flatMap((d, slot) => (d ? [`slot ${slot}: ${d.score} gems`] : [])),
  ];
  overlay.textContent = lines.join('\n');
}

async function main(): Promise<void> {
  const fallback = params.get('path') === 'websocket';
  // How long the data channel may take to open before datagrams stay on the WebSocket (ms).
  const dcTimeout = Number(params.get('dcTimeoutMs') ?? '0');
  const loss = Number(params.get('loss') ?? '0');
  const username = params.get('name') ?? `web-${Math.floor(Math.random() * 1000)}`;
  const client = await connect({
    host: location.hostname,
    port: Number(location.port || 80),
    username,
    transport: createWebTransport({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`,
      ...(fallback ? { RTCPeerConnection: blockedRtc(), dataChannelTimeoutMs: 1500 } : {}),
      ...(!fallback && dcTimeout > 0 ? { dataChannelTimeoutMs: dcTimeout } : {}),
    }),
    conditioner: loss > 0 ? { loss, seed: mixSeed(username.length, 7) } : undefined,
  });
  state.client = client;
  const sim = new Simulation(client.maxPlayers);
  const capture = params.get('capture') === '1';
  const bot =
    params.get('bot') === '1'
      ? new Controller(mixSeed(99, client.playerId), client.inputSize)
      : undefined;
  client.frames$.subscribe((frame) => {
    if (capture) state.frames.push(frameText(frame));
    for (const p of frame.left ?? []) state.leaves.push({ tick: frame.tick, username: p.username });
    sim.step(frame);
    state.tick = frame.tick;
    if (state.firstTick < 0) state.firstTick = frame.tick;
    state.checksum = sim.checksum();
    if (frame.tick % 30 === 0) {
      mySums.set(frame.tick, hex(state.checksum));
      mySums.delete(frame.tick - 30 * 64);
    }
  });
  client.stats$.subscribe((st) => (state.stats = st));
  client.chat$.subscribe((m) => {
    const match = /^sum (\d+) ([0-9a-f]{8})$/.exec(m.text);
    if (!match || (!botSums.has(m.from) && botSums.size >= 16)) return;
    const tick = Number(match[1]);
    const sum = match[2] ?? '';
    const mine = mySums.get(tick);
    botSums.set(m.from, { tick, sum });
    state.botSums = [...botSums].map(([name, b]) => ({
      name,
      ...b,
      same:
        b.tick === tick
          ? mine === undefined
            ? undefined
            : mine === sum
          : state.botSums.find((o) => o.name === name)?.same,
    }));
  });
  void client.closed.then((e) => (state.error = `disconnected: ${e.message}`));
  // One input per tick of the clock, at most a quarter second ahead of the frames.
  const tickMs = 1000 / client.tickRate;
  const lead = Math.max(8, Math.ceil(client.tickRate / 4));
  const origin = performance.now();
  let sent = 0;
  setInterval(
    () => {
      const due = Math.floor((performance.now() - origin) / tickMs) + 1;
      while (sent < due && client.startTick + client.inputsSent - client.lastFrameTick <= lead) {
        client.sendInput(bot ? bot.next() : keyboardInput(client.inputSize));
        sent++;
      }
      if (sent < due) sent = due; // waiting for the network: skip, do not burst later
    },
    Math.max(1, Math.floor(tickMs / 2)),
  );
  const frame = (): void => {
    draw(sim, client);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  setInterval(() => draw(sim, client), 250); // also when the tab is in the background
}

main().catch((err: unknown) => {
  state.error = String(err);
  overlay.textContent = `could not join: ${String(err)}`;
});
