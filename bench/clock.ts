// Input-to-frame latency of clients paced by ticks$ against clients on a plain interval, as same-run ratios to the raw UDP round trip.
// Run: npx tsx bench/clock.ts [seconds per mode, default 20]
import dgram from 'node:dgram';
import { interval, type Observable } from 'rxjs';
import { connect, createServer, type GameClient } from '../src/node.js';

const TICK_RATE = 60;
const SECONDS = Number(process.argv[2] ?? 20);

/** Median and p99 of the raw UDP round trip over loopback (an echo socket), in ms. */
async function rawUdpRtt(samples = 400): Promise<{ median: number; p99: number }> {
  const echo = dgram.createSocket('udp4');
  const probe = dgram.createSocket('udp4');
  echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  const port = echo.address().port;
  const rtts: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      probe.once('message', () => resolve());
      probe.send(Buffer.alloc(40), port, '127.0.0.1');
    });
    rtts.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2));
  }
  echo.close();
  probe.close();
  return stats(rtts);
}

function stats(values: number[]): { median: number; p99: number } {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p99: s[Math.floor(s.length * 0.99)] };
}

/**
 * Two players, the second sampling 2 % slow (it skips every 50th tick of its loop), for
 * `SECONDS`; the input-to-frame latency of both over the second half, in ms.
 */
async function run(mode: 'paced' | 'interval'): Promise<{ median: number; p99: number }> {
  const server = await createServer({ tickRate: TICK_RATE, inputSize: 2, maxPlayers: 2 });
  const clients: GameClient[] = [];
  for (const username of ['ann', 'bob'])
    clients.push(
      await connect({ host: '127.0.0.1', port: server.address.tcpPort, username, password: '' }),
    );
  const lat: number[] = [];
  const start = performance.now();
  const subs = clients.map((c, i) => {
    const sentAt = new Map<number, number>();
    c.frames$.subscribe((f) => {
      const t = sentAt.get(f.tick);
      if (t === undefined) return;
      sentAt.delete(f.tick);
      if (performance.now() - start > (SECONDS * 1000) / 2) lat.push(performance.now() - t);
    });
    const loop: Observable<number> = mode === 'paced' ? c.ticks$ : interval(1000 / TICK_RATE);
    let n = 0;
    return loop.subscribe(() => {
      if (i === 1 && ++n % 50 === 0) return; // 2 % slow
      sentAt.set(c.currentTick + c.inputDelay, performance.now());
      c.sendInput(Uint8Array.of(i, n & 0xff));
    });
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const s of subs) s.unsubscribe();
  for (const c of clients) await c.close();
  await server.close();
  return stats(lat);
}

const raw = await rawUdpRtt();
const paced = await run('paced');
const plain = await run('interval');
const raw2 = await rawUdpRtt();
const udp = (raw.median + raw2.median) / 2;
const fmt = (x: { median: number; p99: number }): string =>
  `median ${x.median.toFixed(2)} ms (${(x.median / udp).toFixed(1)}x UDP RTT), p99 ${x.p99.toFixed(2)} ms (${(x.p99 / udp).toFixed(1)}x)`;
console.log(
  `raw UDP RTT: median ${udp.toFixed(3)} ms (before ${raw.median.toFixed(3)}, after ${raw2.median.toFixed(3)})`,
);
console.log(`ticks$ (one player 2 % slow):   ${fmt(paced)}`);
console.log(`interval (one player 2 % slow): ${fmt(plain)}`);
