// A tiny deterministic simulation shared by the examples: every player is a dot on a
// 256 x 256 torus, moved by four buttons. Integer arithmetic only, so every machine that
// applies the same frames gets the same world, bit for bit.
// A module, not an example to run (it prints nothing): game-loop.ts and bad-network.ts import it.
import type { ConfirmedFrame } from '../src/index.js';

/** One byte of input: which buttons are held. */
export const Button = { Left: 1, Right: 2, Up: 4, Down: 8 } as const;

export interface Dot {
  readonly playerId: number;
  readonly x: number;
  readonly y: number;
}

export interface World {
  /** The last tick applied, or -1 before the first frame. */
  readonly tick: number;
  /** The dots, by slot (`null`: nobody in that slot). */
  readonly dots: readonly (Dot | null)[];
}

export function emptyWorld(maxPlayers: number): World {
  return { tick: -1, dots: new Array<Dot | null>(maxPlayers).fill(null) };
}

/** Applies one confirmed frame: joins, then inputs, then leaves. A pure function. */
export function step(world: World, frame: ConfirmedFrame): World {
  const dots = [...world.dots];
  for (const p of frame.joined ?? [])
    dots[p.playerId] = { playerId: p.playerId, x: 16 * p.playerId, y: 128 };
  frame.inputs.forEach((input, slot) => {
    const dot = dots[slot];
    if (!input || !dot) return;
    const b = input[0];
    const dx = (b & Button.Right ? 1 : 0) - (b & Button.Left ? 1 : 0);
    const dy = (b & Button.Down ? 1 : 0) - (b & Button.Up ? 1 : 0);
    dots[slot] = { playerId: slot, x: (dot.x + dx) & 0xff, y: (dot.y + dy) & 0xff };
  });
  for (const p of frame.left ?? []) dots[p.playerId] = null;
  return { tick: frame.tick, dots };
}

/** FNV-1a over the world: equal worlds have equal checksums. */
export function checksum(world: World): number {
  let h = 0x811c9dc5;
  const add = (byte: number): void => {
    h = Math.imul(h ^ (byte & 0xff), 0x01000193) >>> 0;
  };
  for (const dot of world.dots) {
    if (!dot) add(0xff);
    else [dot.playerId, dot.x, dot.y].forEach(add);
  }
  return h;
}

/** A scripted controller: holds a direction for a while, then changes, like a player does. */
export function botInput(playerId: number, tick: number): Uint8Array {
  const phase = Math.floor(tick / 20) + playerId * 3;
  const buttons = [Button.Right, Button.Down, Button.Left | Button.Up, 0, Button.Up][phase % 5];
  return Uint8Array.of(buttons);
}
