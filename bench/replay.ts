// Replay size and speed: 10 minutes of an 8-player match at 60 Hz, with held buttons and with changing inputs.
// Run: npx tsx bench/replay.ts
import { from, lastValueFrom, toArray } from 'rxjs';
import { Controller } from '../src/cli/simulation.js';
import { readReplay } from '../src/replay/readReplay.js';
import { recordReplay } from '../src/replay/recordReplay.js';
import { confirmedFrame, type ConfirmedFrame } from '../src/types.js';

const PLAYERS = 8;
const TICK_RATE = 60;
const TICKS = 10 * 60 * TICK_RATE;
const INPUT_SIZE = 2;

type Source = (slot: number) => () => Uint8Array;

const cases: { name: string; source: Source }[] = [
  {
    name: 'held buttons (a new input every 2 s)',
    source: (slot) => {
      let t = 0;
      let held = Uint8Array.of(slot, 0);
      return () => {
        if (t++ % 120 === 0) held = Uint8Array.of((held[0] * 7 + 3) & 0x1f, 0);
        return held;
      };
    },
  },
  {
    name: "the demo's controller (aim byte turns every tick)",
    source: (slot) => {
      const c = new Controller(slot + 1, INPUT_SIZE);
      return () => c.next();
    },
  },
  {
    name: 'random inputs every tick',
    source: () => {
      let s = 0x9e3779b9;
      return () => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return Uint8Array.of(s & 0xff, (s >>> 8) & 0xff);
      };
    },
  },
];

function frames(source: Source): ConfirmedFrame[] {
  const next = Array.from({ length: PLAYERS }, (_, slot) => source(slot));
  const out: ConfirmedFrame[] = [];
  for (let tick = 0; tick < TICKS; tick++) {
    const joined =
      tick === 0 ? next.map((_, playerId) => ({ playerId, username: `player-${playerId}` })) : [];
    out.push(
      confirmedFrame(
        tick,
        next.map((f) => f()),
        joined,
      ),
    );
  }
  return out;
}

const rows: string[] = [];
for (const c of cases) {
  const match = frames(c.source);
  const t0 = performance.now();
  const pieces = await lastValueFrom(
    from(match).pipe(
      recordReplay({ tickRate: TICK_RATE, inputSize: INPUT_SIZE, maxPlayers: PLAYERS }),
      toArray(),
    ),
  );
  const t1 = performance.now();
  const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  const t2 = performance.now();
  const replay = readReplay(bytes);
  let n = 0;
  for (const frame of replay.frames()) n += frame.inputs.length > 0 ? 1 : 0;
  const t3 = performance.now();
  if (n !== TICKS) throw new Error('frames lost');
  const raw = TICKS * PLAYERS * INPUT_SIZE;
  rows.push(
    `| ${c.name} | ${(bytes.length / 1024).toFixed(1)} KiB | ${(bytes.length / TICKS).toFixed(2)} | ` +
      `${((100 * bytes.length) / raw).toFixed(1)} % | ${(t1 - t0).toFixed(0)} ms | ${(t3 - t2).toFixed(0)} ms |`,
  );
}
console.log(
  `${TICKS} frames (10 min at ${TICK_RATE} Hz), ${PLAYERS} players, ${INPUT_SIZE}-byte inputs; raw inputs ${((TICKS * PLAYERS * INPUT_SIZE) / 1024).toFixed(0)} KiB\n`,
);
console.log('| inputs | file | bytes/frame | of raw inputs | record | read (check + decode all) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
