/**
 * The bots' game: a small deterministic simulation driven only by confirmed frames, and the
 * scripted "controller" that plays it.
 *
 * Every player is a dot on a 64 x 64 torus, moved by the buttons held in the first byte of its
 * input (Dash moves two cells). A gem sits somewhere on the grid; a dot that lands on it scores
 * and the gem jumps elsewhere. Every input byte is also folded into a running hash, so any
 * difference in the frames shows in the checksum. Integer arithmetic only: every machine that
 * applies the same frames computes the same world, bit for bit.
 *
 * A round starts at every frame that has a join: the world is reset (every player present is
 * put at its spawn point, the gem is placed from the tick number). So the world after tick T
 * depends only on the frames from the last join up to T, which every client in the match has
 * (a client's first frame is the one naming its own join), and a late joiner computes the same
 * world as everybody else without any state transfer.
 */
import type { ConfirmedFrame } from '../index.js';

/** The grid is GRID x GRID cells, wrapping around at the edges. */
export const GRID = 64;

/** The buttons, in the first byte of an input. */
export const Button = { Left: 1, Right: 2, Up: 4, Down: 8, Dash: 16 } as const;

/** One player's dot. */
export interface Dot {
  readonly x: number;
  readonly y: number;
  readonly score: number;
}

/** FNV-1a offset basis and prime (32 bits). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes, continuing from `hash`. */
export function fnv1a(bytes: Uint8Array, hash = FNV_OFFSET): number {
  let h = hash >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME) >>> 0;
  return h;
}

/** Mixes two numbers into a well-spread 32-bit seed (for per-bot and per-link seeds). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul((a >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ (b >>> 0), 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** One step of xorshift32 (never returns 0 for a non-zero state). */
function xorshift32(state: number): number {
  let x = state >>> 0 || 0x6d2b79f5;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

const wrap = (v: number): number => ((v % GRID) + GRID) % GRID;

/** Where a player's dot starts a round. */
export function spawnPoint(slot: number): { x: number; y: number } {
  return { x: wrap(slot * 17 + 5), y: wrap(slot * 29 + 11) };
}

/**
 * The world: mutable, stepped one confirmed frame at a time. Deterministic: the same frames
 * give the same {@link checksum}, on every machine.
 */
export class Simulation {
  /** The last tick applied, or -1 before the first frame. */
  tick = -1;
  /** The tick of the frame that started the current round (the last join), or -1. */
  roundStart = -1;
  /** How many players were in the match when the current round started. */
  roundPlayers = 0;
  /** The dots, by slot (`null`: nobody there). */
  dots: (Dot | null)[];
  gemX = 0;
  gemY = 0;
  private rng = 1;
  private inputHash = FNV_OFFSET;

  constructor(readonly maxPlayers: number) {
    this.dots = new Array<Dot | null>(maxPlayers).fill(null);
  }

  /** Players with a dot now. */
  get players(): number {
    let n = 0;
    for (const d of this.dots) if (d) n++;
    return n;
  }

  /**
   * Applies one confirmed frame. Frames must come in tick order, each once (as `frames$`
   * delivers them).
   * @throws Error if a tick is skipped or repeated: that would be a bug in the caller.
   */
  step(frame: ConfirmedFrame): void {
    if (this.tick >= 0 && frame.tick !== this.tick + 1)
      throw new Error(`frame for tick ${frame.tick} after tick ${this.tick}`);
    if (frame.inputs.length !== this.maxPlayers)
      throw new Error(`frame with ${frame.inputs.length} slots, expected ${this.maxPlayers}`);
    // A join (or the very first frame seen) starts a new round.
    if ((frame.joined && frame.joined.length > 0) || this.roundStart < 0) this.reset(frame);

    let hash = this.inputHash;
    for (let slot = 0; slot < this.maxPlayers; slot++) {
      const input = frame.inputs[slot];
      hash = Math.imul(hash ^ slot, FNV_PRIME) >>> 0;
      if (!input) {
        // Not part of this frame (left, or never there): no dot.
        this.dots[slot] = null;
        hash = Math.imul(hash ^ 0xff, FNV_PRIME) >>> 0;
        continue;
      }
      hash = fnv1a(input, hash);
      const dot = this.dots[slot] ?? { ...spawnPoint(slot), score: 0 };
      const b = input[0];
      const speed = b & Button.Dash ? 2 : 1;
      const dx = ((b & Button.Right ? 1 : 0) - (b & Button.Left ? 1 : 0)) * speed;
      const dy = ((b & Button.Down ? 1 : 0) - (b & Button.Up ? 1 : 0)) * speed;
      this.dots[slot] = { x: wrap(dot.x + dx), y: wrap(dot.y + dy), score: dot.score };
    }
    this.inputHash = hash;

    // The gem: the lowest slot standing on it scores, and it jumps.
    for (let slot = 0; slot < this.maxPlayers; slot++) {
      const dot = this.dots[slot];
      if (dot && dot.x === this.gemX && dot.y === this.gemY) {
        this.dots[slot] = { ...dot, score: dot.score + 1 };
        this.placeGem();
      }
    }
    this.tick = frame.tick;
  }

  private reset(frame: ConfirmedFrame): void {
    this.roundStart = frame.tick;
    this.roundPlayers = 0;
    for (let slot = 0; slot < this.maxPlayers; slot++) {
      if (frame.inputs[slot]) {
        this.dots[slot] = { ...spawnPoint(slot), score: 0 };
        this.roundPlayers++;
      } else this.dots[slot] = null;
    }
    this.rng = mixSeed(frame.tick, 0x6e3) || 1;
    this.inputHash = FNV_OFFSET;
    this.placeGem();
  }

  private placeGem(): void {
    this.rng = xorshift32(this.rng);
    this.gemX = this.rng % GRID;
    this.rng = xorshift32(this.rng);
    this.gemY = this.rng % GRID;
  }

  /** The whole state as bytes: what the checksum covers, and a desync snapshot. */
  encode(): Uint8Array {
    const bytes = new Uint8Array(4 * 6 + this.maxPlayers * 7);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, this.tick >>> 0);
    view.setUint32(4, this.roundStart >>> 0);
    view.setUint32(8, this.rng);
    view.setUint32(12, this.inputHash);
    view.setUint16(16, this.gemX);
    view.setUint16(18, this.gemY);
    view.setUint32(20, this.maxPlayers);
    let at = 24;
    for (const dot of this.dots) {
      if (dot) {
        view.setUint8(at, 1);
        view.setUint8(at + 1, dot.x);
        view.setUint8(at + 2, dot.y);
        view.setUint32(at + 3, dot.score);
      }
      at += 7;
    }
    return bytes;
  }

  /** FNV-1a of {@link encode}: equal worlds have equal checksums (an unsigned 32-bit integer). */
  checksum(): number {
    return fnv1a(this.encode());
  }

  /** Breaks determinism on purpose (for `--desync-at`): one point more for the first dot. */
  corrupt(): void {
    const slot = this.dots.findIndex((d) => d !== null);
    const dot = this.dots[slot];
    if (dot) this.dots[slot] = { ...dot, score: dot.score + 1 };
    else this.inputHash = (this.inputHash + 1) >>> 0;
  }
}

/** The eight directions a controller can hold. */
const DIRECTIONS = [
  Button.Right,
  Button.Right | Button.Down,
  Button.Down,
  Button.Down | Button.Left,
  Button.Left,
  Button.Left | Button.Up,
  Button.Up,
  Button.Up | Button.Right,
] as const;

/**
 * A scripted controller, deterministic from its seed: it holds a direction (or nothing) for a
 * while and changes now and then, sometimes dashing, like a player does. Byte 1 (if the input
 * has one) is an "aim" that turns slowly; further bytes are zero.
 */
export class Controller {
  private state: number;
  private held = 0;
  private aim = 0;
  private first = true;

  constructor(
    seed: number,
    readonly inputSize: number,
  ) {
    this.state = mixSeed(seed, 0xc0) || 1;
  }

  private random(): number {
    this.state = xorshift32(this.state);
    return this.state / 0x100000000;
  }

  /** The input for the next tick. */
  next(): Uint8Array {
    if (this.first || this.random() < 1 / 20) {
      this.first = false;
      this.held =
        this.random() < 0.15
          ? 0
          : DIRECTIONS[Math.floor(this.random() * DIRECTIONS.length)] |
            (this.random() < 0.2 ? Button.Dash : 0);
    }
    this.aim = (this.aim + (this.held & Button.Dash ? 3 : 1)) & 0xff;
    const input = new Uint8Array(this.inputSize);
    input[0] = this.held;
    if (this.inputSize > 1) input[1] = this.aim;
    return input;
  }
}
