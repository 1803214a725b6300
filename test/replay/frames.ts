// Test frames for replays: a made-up match with joins, leaves (named) and inputs, and a helper to record bytes.
import { from, lastValueFrom, toArray } from 'rxjs';
import { recordReplay, type RecordReplayOptions } from '../../src/replay/recordReplay.js';
import {
  confirmedFrame,
  type ConfirmedFrame,
  type LeaveReason,
  type PlayerInfo,
} from '../../src/types.js';

/** A deterministic match: players join and leave now and then, inputs change now and then. */
export function makeFrames(options: {
  ticks: number;
  maxPlayers: number;
  inputSize: number;
  startTick?: number;
  seed?: number;
}): ConfirmedFrame[] {
  const { ticks, maxPlayers, inputSize } = options;
  let rng = options.seed ?? 7;
  const random = (): number => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 0x100000000;
  };
  const present: (PlayerInfo | null)[] = new Array<PlayerInfo | null>(maxPlayers).fill(null);
  const held: Uint8Array[] = [];
  const frames: ConfirmedFrame[] = [];
  let names = 0;
  const reasons: LeaveReason[] = ['left', 'timeout', 'kicked', 'error'];
  for (let i = 0; i < ticks; i++) {
    const tick = (options.startTick ?? 0) + i;
    const joined: PlayerInfo[] = [];
    const left: { playerId: number; username: string; reason: LeaveReason }[] = [];
    for (let slot = 0; slot < maxPlayers; slot++) {
      const p = present[slot];
      if (p === null && (i === 0 ? slot < 2 : random() < 0.01)) {
        const player = { playerId: slot, username: `p${names++}-é` };
        present[slot] = player;
        joined.push(player);
      } else if (p !== null && i > 0 && random() < 0.005) {
        left.push({ ...p, reason: reasons[Math.floor(random() * 4)] });
        present[slot] = null;
      }
    }
    const inputs = present.map((p, slot) => {
      if (p === null) return null;
      if (held[slot] === undefined || random() < 0.1) {
        const b = new Uint8Array(inputSize);
        for (let k = 0; k < inputSize; k++) b[k] = Math.floor(random() * 256);
        held[slot] = b;
      }
      return held[slot].slice();
    });
    frames.push(confirmedFrame(tick, inputs, joined, left));
  }
  return frames;
}

/** The whole replay file of `frames`. */
export async function recordBytes(
  frames: readonly ConfirmedFrame[],
  options: RecordReplayOptions,
): Promise<Uint8Array> {
  const pieces = await lastValueFrom(from(frames).pipe(recordReplay(options), toArray()));
  return concat(pieces);
}

export function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
