// A whole match in virtual time: lossy links, a late join, a silent player dropped.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Match, type JoinResult } from '../../src/match/Match.js';
import { Roster } from '../../src/match/Roster.js';
import type { ConfirmedFrame, PlayerInfo, PlayerLeft } from '../../src/types.js';
import { createRandom } from '../../src/operators/random.js';

/** Ticks of play, one per virtual millisecond. */
const TICKS = 400;
/** Milliseconds after the last tick in which the links still run (resends, acks). */
const DRAIN = 150;
const TIMEOUT_MS = 50;
/** Each datagram, either way: lost with LOSS, sent twice with DUPLICATE, delayed 1..MAX_DELAY ms. */
const LOSS = 0.2;
const DUPLICATE = 0.1;
const MAX_DELAY = 6;
/** The most inputs or frames one datagram carries. */
const RUN = 64;

/** A frame as a client decodes it: copied bytes, and no names on leaves (not on the wire). */
function overTheWire(frame: ConfirmedFrame): ConfirmedFrame {
  const copy: {
    tick: number;
    inputs: (Uint8Array | null)[];
    joined?: PlayerInfo[];
    left?: PlayerLeft[];
  } = { tick: frame.tick, inputs: frame.inputs.map((i) => (i === null ? null : i.slice())) };
  if (frame.joined) copy.joined = frame.joined.map((p) => ({ ...p }));
  if (frame.left) copy.left = frame.left.map((p) => ({ ...p, username: '' }));
  return copy;
}

/** One player: its client, and the server's view of its link. */
interface Player {
  readonly username: string;
  readonly playerId: number;
  readonly joinTick: number;
  /** Who the join answer said was there. */
  readonly players: readonly PlayerInfo[];
  /** The client stops sending anything from this time on (a crash). */
  readonly silentFrom: number;
  /** What the client submitted, by tick. */
  readonly submitted: Map<number, Uint8Array>;
  /** The next tick the client makes an input for. */
  nextTick: number;
  /** Client side: the last input tick the server acknowledged. */
  inputAck: number;
  /** Client side: the frames received, in order, named with its own roster. */
  readonly frames: ConfirmedFrame[];
  readonly roster: Roster;
  /** Server side: the last input tick fed to the match (all before it were). */
  watermark: number;
  /** Server side: the last frame tick the client acknowledged. */
  frameAck: number;
  /** Server side: the last tick of the newest input run received. */
  lastRunEnd: number;
  /** Server side: gone from the match (its leave was confirmed). */
  gone: boolean;
  /** The link's randomness, both directions. */
  readonly random: () => number;
}

interface Outcome {
  readonly frames: ConfirmedFrame[];
  readonly players: Player[];
  /** The answer to a join while every slot was held (bob silent, not dropped yet). */
  readonly refused: { answer?: JoinResult };
  readonly match: Match;
  /** What the links did: datagrams lost, sent twice, and input runs that came out of order. */
  readonly network: { lost: number; duplicated: number; reordered: number };
}

function playMatch(seed: number): Outcome {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  let outcome: Outcome | undefined;
  scheduler.run(() => {
    const match = new Match({
      maxPlayers: 5,
      inputSize: 2,
      disconnectTimeoutMs: TIMEOUT_MS,
      // No grace: a silent player leaves at the timeout (away players: Match.test.ts).
      reconnectGraceMs: 0,
      scheduler,
    });
    const frames: ConfirmedFrame[] = [];
    const players: Player[] = [];
    const refused: { answer?: JoinResult } = {};
    const network = { lost: 0, duplicated: 0, reordered: 0 };

    match.frames$.subscribe((frame) => {
      frames.push(frame);
      for (const left of frame.left ?? []) {
        const player = players.find((p) => p.playerId === left.playerId && !p.gone);
        if (player) player.gone = true; // stop serving it
      }
    });

    /** Sends a datagram over a lossy link: `deliver` runs 0, 1 or 2 times, later. */
    const send = (random: () => number, deliver: () => void): void => {
      if (random() < LOSS) {
        network.lost += 1;
        return;
      }
      const copies = random() < DUPLICATE ? 2 : 1;
      if (copies === 2) network.duplicated += 1;
      for (let i = 0; i < copies; i += 1) {
        scheduler.schedule(deliver, 1 + Math.floor(random() * MAX_DELAY));
      }
    };

    const join = (username: string, silentFrom = Infinity): void => {
      const answer = match.join(username);
      if (!answer.ok) throw new Error(`${username} refused: ${answer.reason}`);
      players.push({
        username,
        playerId: answer.playerId,
        joinTick: answer.tick,
        players: answer.players,
        silentFrom,
        submitted: new Map(),
        nextTick: answer.tick,
        inputAck: answer.tick - 1,
        frames: [],
        roster: new Roster(answer.players),
        watermark: answer.tick - 1,
        frameAck: answer.tick - 1,
        lastRunEnd: answer.tick - 1,
        gone: false,
        random: createRandom(seed * 1000 + players.length),
      });
    };

    /** Server side: a client's inputs (a redundant run from `firstTick`) and its frame ack. */
    const onInputs = (player: Player, firstTick: number, inputs: Uint8Array[], ack: number) => {
      if (player.gone) return;
      if (firstTick + inputs.length - 1 < player.lastRunEnd) network.reordered += 1;
      player.lastRunEnd = Math.max(player.lastRunEnd, firstTick + inputs.length - 1);
      player.frameAck = Math.max(player.frameAck, ack);
      for (let i = 0; i < inputs.length; i += 1) {
        const tick = firstTick + i;
        if (tick <= player.watermark) continue;
        // Not the next one (a gap), or not taken yet: neither fed nor acknowledged.
        if (tick !== player.watermark + 1 || tick >= match.inputLimit) break;
        match.input(player.playerId, tick, inputs[i]);
        player.watermark = tick;
      }
    };

    /** Client side: frames from the server, and its input ack. */
    const onFrames = (player: Player, batch: ConfirmedFrame[], ack: number) => {
      player.inputAck = Math.max(player.inputAck, ack);
      for (const frame of batch) {
        const expected = player.joinTick + player.frames.length;
        if (frame.tick === expected) player.frames.push(player.roster.apply(frame));
      }
    };

    const step = (now: number): void => {
      if (now === 0)
        for (const name of ['ann', 'bob', 'cat', 'dan'])
          join(name, name === 'bob' ? 200 : Infinity);
      if (now === 120) join('eve'); // late: mid-match
      if (now === 210) refused.answer = match.join('gus'); // bob is silent, not dropped yet
      if (now === 330) join('fay'); // after bob's drop: its slot
      for (const player of players) {
        if (now >= player.silentFrom) continue;
        // The client: its inputs up to now (none after the match's last tick), then every
        // input not acknowledged, and its frame ack.
        while (now < TICKS && player.nextTick <= now) {
          player.submitted.set(
            player.nextTick,
            Uint8Array.of(player.random() * 256, player.nextTick),
          );
          player.nextTick += 1;
        }
        const firstTick = player.inputAck + 1;
        const inputs: Uint8Array[] = [];
        for (let t = firstTick; t < player.nextTick && inputs.length < RUN; t += 1) {
          inputs.push(player.submitted.get(t)!.slice()); // bytes on the wire, not the buffer
        }
        const frameAck = player.joinTick + player.frames.length - 1;
        send(player.random, () => onInputs(player, firstTick, inputs, frameAck));
        // The server: every frame not acknowledged, and the input ack.
        if (player.gone) continue;
        const batch = (match.log.since(player.frameAck + 1) ?? []).slice(0, RUN).map(overTheWire);
        const inputAck = player.watermark;
        send(player.random, () => onFrames(player, batch, inputAck));
      }
    };
    for (let now = 0; now < TICKS + DRAIN; now += 1) scheduler.schedule(() => step(now), now);
    outcome = { frames, players, refused, match, network };
  });
  return outcome!;
}

describe('a whole match in virtual time', () => {
  it.each([1, 2, 3])(
    'keeps the invariants with 4 players over lossy links, a late join and a silent player (seed %i)',
    (seed) => {
      const started = performance.now();
      const { frames, players, refused, match, network } = playMatch(seed);
      const elapsed = performance.now() - started;
      console.info(
        `whole match, seed ${seed}: ${TICKS} ticks in ${elapsed.toFixed(0)} ms; ${JSON.stringify(network)}`,
      );
      expect(network.lost).toBeGreaterThan(100);
      expect(network.duplicated).toBeGreaterThan(50);
      expect(network.reordered).toBeGreaterThan(50);
      const byName = new Map(players.map((p) => [p.username, p]));
      const bob = byName.get('bob')!;

      // 1. Consecutive ticks, each once, from 0; the match played to its last tick.
      expect(frames.map((f) => f.tick)).toEqual(Array.from({ length: TICKS }, (_, t) => t));
      expect(match.head).toBe(TICKS);

      // 2. Every client has the same frames as the server for every tick it got: all of
      // them from its join tick on, but for bob, who stopped reading.
      for (const player of players) {
        const expected = frames.slice(player.joinTick);
        if (player === bob) expect(expected.slice(0, bob.frames.length)).toEqual(bob.frames);
        else expect(player.frames).toEqual(expected);
      }

      // 4. Membership: folded over the frames, the members are exactly the slots with an
      // input; each join answer named those before its tick.
      const members = new Map<number, Player>();
      const leaves: [string, number, string][] = [];
      const infoOf = (m: Player): PlayerInfo => ({ playerId: m.playerId, username: m.username });
      for (const frame of frames) {
        const before = [...members.values()].map(infoOf).sort((a, b) => a.playerId - b.playerId);
        for (const p of frame.joined ?? []) {
          const player = byName.get(p.username)!;
          expect([player.playerId, player.joinTick]).toEqual([p.playerId, frame.tick]);
          expect(player.players).toEqual(before);
          expect(members.has(p.playerId)).toBe(false);
          members.set(p.playerId, player);
        }
        for (const p of frame.left ?? []) {
          expect(members.get(p.playerId)?.username).toBe(p.username);
          members.delete(p.playerId);
          leaves.push([p.username, frame.tick, p.reason]);
        }
        frame.inputs.forEach((input, slot) => {
          const player = members.get(slot);
          expect(input !== null).toBe(player !== undefined);
          // 3. The input is exactly what that player submitted for the tick.
          if (player) expect(input).toEqual(player.submitted.get(frame.tick));
        });
      }
      expect(leaves).toEqual([['bob', expect.any(Number), 'timeout']]);
      const bobLeftAt = leaves[0][1];
      expect(bobLeftAt).toBeLessThanOrEqual(200); // it sent inputs up to tick 199
      expect(byName.get('eve')!.joinTick).toBeGreaterThan(100);
      expect(byName.get('fay')!.playerId).toBe(bob.playerId); // its slot, once its leave was out
      expect(refused.answer).toEqual({ ok: false, reason: 'full' });
      const roster = [...members.values()].map(infoOf).sort((a, b) => a.playerId - b.playerId);
      expect(match.roster.members()).toEqual(roster);
      for (const player of players)
        if (player !== bob) expect(player.roster.members()).toEqual(roster);
      match.close();
    },
  );
});
